// Tokens as the pages take them: pasted into a form, or in the page's address (a kiosk opens /visit?token=…).

/**
 * The claims of a JWT (RFC 7519 §7.2 steps 1–7) without verifying it: the server does that; a page reads them only to
 * greet the holder and to catch a wrong paste. The payload is base64url (RFC 7515 §2) of UTF-8 JSON, so it is decoded to
 * bytes and then as UTF-8: a name such as "Zoë" or "Łukasz" comes out whole. Null when the text is not a JWT.
 */
export function readClaims(token) {
  const parts = String(token || '').split('.');
  if (parts.length !== 3 || !parts[1]) {
    return null;
  }
  try {
    const base64 = parts[1].replace(/-/g, '+').replace(/_/g, '/');
    const padded = base64 + '='.repeat((4 - (base64.length % 4)) % 4);
    const bytes = Uint8Array.from(atob(padded), (c) => c.charCodeAt(0));
    const claims = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
    return claims && typeof claims === 'object' && !Array.isArray(claims) ? claims : null;
  } catch {
    return null;
  }
}

/** A pasted token without the spaces and line breaks a copy from an e-mail or a chat adds. */
export function cleanToken(raw) {
  return String(raw || '').replace(/\s+/g, '');
}

/** True when the claims carry an exp (RFC 7519 §4.1.4) that has passed. */
export function isExpired(claims, now = Date.now()) {
  return !!claims && typeof claims.exp === 'number' && claims.exp * 1000 < now;
}

/**
 * The ?token= of the page's address, taken out of the address bar and the history at once so it is not shared, bookmarked
 * or shown over a shoulder. Empty when there is none.
 */
export function takeTokenFromAddress() {
  const url = new URL(window.location.href);
  const token = url.searchParams.get('token');
  if (!token) {
    return '';
  }
  url.searchParams.delete('token');
  window.history.replaceState(null, '', url.pathname + url.search + url.hash);
  return token;
}

/**
 * A token kept in this tab only (sessionStorage: forgotten when the tab closes). Storage may be off (private mode); the
 * token then lasts as long as the page.
 */
export function tabStore(key) {
  return {
    load() {
      try {
        return sessionStorage.getItem(key) || '';
      } catch {
        return '';
      }
    },
    save(token) {
      try {
        sessionStorage.setItem(key, token);
      } catch {
        // Not kept: the page still works until it is reloaded.
      }
    },
    forget() {
      try {
        sessionStorage.removeItem(key);
      } catch {
        // Nothing stored.
      }
    },
  };
}
