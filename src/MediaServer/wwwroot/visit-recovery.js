// Keeping a visit up on the /visit page: the join code is kept for the tab (sessionStorage), so a reload rejoins the same
// seat; a lost connection is rejoined with backoff for as long as the visit may still be on; what the other parties do
// (reconnecting, left, back) is said by name. The server keeps a reconnecting party's seat for its reconnect grace
// (docs/api.md, "Legs"), and a join with the same code from the same browser takes it back.

const TOKEN_KEY = 'visit.joinCode';
const BACKOFF_MS = [500, 1000, 2000, 4000, 5000];

function sessionStore() {
  try {
    return window.sessionStorage;
  } catch {
    return null;
  }
}

/** Keeps the join code for this tab (not for other tabs, not past closing it). */
export function keepToken(token) {
  try {
    sessionStore()?.setItem(TOKEN_KEY, token);
  } catch {
    // Storage refused: a reload then asks for the code again.
  }
}

export function keptToken() {
  try {
    return sessionStore()?.getItem(TOKEN_KEY) || '';
  } catch {
    return '';
  }
}

/** Forgets the join code: the visit is over for this tab (left, ended, refused for good). */
export function forgetToken() {
  try {
    sessionStore()?.removeItem(TOKEN_KEY);
  } catch {
    // Nothing kept.
  }
}

/** How long to wait before re-join attempt <c>attempt</c> (0-based): 0.5, 1, 2, 4 s, then 5 s. */
export const backoffMs = (attempt) => BACKOFF_MS[Math.min(attempt, BACKOFF_MS.length - 1)];

/**
 * Whether a refused join is worth another try rather than the end: the server restarting or draining (503, slug
 * restarting), a proxy in front of it that cannot reach it (502, 504), rate limiting (429), no answer at all (0). A 410
 * is the end (its slug says who ended it), and so is every other refusal.
 */
export function isTransient(problem) {
  return problem.slug === 'restarting' || [0, 429, 502, 504].includes(problem.status);
}

/** Whether the token has expired (its exp claim, seconds since the epoch): no re-join can succeed after that. */
export function tokenExpired(claims) {
  return !!claims && typeof claims.exp === 'number' && claims.exp * 1000 <= Date.now();
}

/**
 * Whether the roster says this party's own leg is gone (left, closed, never there after a server restart) or that the
 * server lost its media (reconnecting) although this page's connection is up (<c>upForMs</c> past the first media).
 */
export function rosterSaysGone(roster, upForMs) {
  const self = Array.isArray(roster && roster.parties) ? roster.parties.find((p) => p && p.you) : null;
  return !!self && (self.state === 'left' || self.state === 'closed' || self.state === 'waiting'
    || (self.state === 'reconnecting' && upForMs > 4000));
}

const WAS_IN = new Set(['connected', 'reconnecting']);

/**
 * What changed among the other parties between two rosters, in words: "Mary is reconnecting…", "Mary has left",
 * "Mary is back". Returns '' when nothing worth saying changed.
 */
export function rosterNews(previous, roster) {
  if (!previous || !Array.isArray(previous.parties) || !Array.isArray(roster.parties)) {
    return '';
  }
  const before = new Map(previous.parties.filter((p) => p && !p.you).map((p) => [p.name, p.state]));
  const news = [];
  for (const party of roster.parties) {
    if (!party || party.you || !before.has(party.name)) {
      continue;
    }
    const was = before.get(party.name);
    const now = party.state;
    if (now === was) {
      continue;
    }
    if (now === 'reconnecting') {
      news.push(`${party.name} is reconnecting…`);
    } else if ((now === 'left' || now === 'closed') && WAS_IN.has(was)) {
      news.push(`${party.name} has left`);
    } else if (now === 'connected' && (was === 'reconnecting' || was === 'left' || was === 'closed')) {
      news.push(`${party.name} is back`);
    }
  }
  return news.join('. ');
}

/** Whether any other party is reconnecting (its tile then says so instead of going away). */
export function othersReconnecting(roster) {
  return Array.isArray(roster && roster.parties) && roster.parties.some((p) => p && !p.you && p.state === 'reconnecting');
}
