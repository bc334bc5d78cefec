// The server's API as the pages call it: the bearer token on every request, no caching, and refusals read from their
// problem details (RFC 9457). Every problem carries type "/problems/<slug>" (docs/security.md and the README list the
// slugs); pages decide what to show by the slug, never by the English title or detail.

const PROBLEM_PATH = '/problems/';

/** The slug of a problem type URI ("/problems/visit-over", or absolute): '' for about:blank, none or anything else. */
export function problemSlug(type) {
  if (typeof type !== 'string') {
    return '';
  }
  const at = type.indexOf(PROBLEM_PATH);
  if (at < 0) {
    return '';
  }
  const slug = type.slice(at + PROBLEM_PATH.length);
  return /^[a-z0-9-]+$/.test(slug) ? slug : '';
}

/** A refused or failed request: status 0 when the server could not be reached; slug '' when the server named no type. */
export class ApiError extends Error {
  constructor({ status = 0, type = '', title = '', detail = '', opensAt = '' } = {}) {
    super(detail || title || (status ? `The server answered ${status}.` : 'The server could not be reached.'));
    this.name = 'ApiError';
    this.status = status;
    this.type = type;
    this.slug = problemSlug(type);
    this.title = title;
    this.detail = detail;
    this.opensAt = opensAt; // a too-early join: when the visit opens (ISO 8601), to be said in local time
  }
}

/** Reads a refusal's body as problem details; a body that is not one gives its short text as the detail. Never throws. */
export async function readProblem(response) {
  let text = '';
  try {
    text = await response.text();
  } catch {
    text = '';
  }
  const contentType = response.headers.get('Content-Type') || '';
  if (contentType.includes('json') || text.startsWith('{')) {
    try {
      const body = JSON.parse(text);
      if (body && typeof body === 'object') {
        return new ApiError({
          status: response.status,
          type: typeof body.type === 'string' ? body.type : '',
          title: typeof body.title === 'string' ? body.title : '',
          detail: typeof body.detail === 'string' ? body.detail : '',
          opensAt: typeof body.opensAt === 'string' ? body.opensAt : '',
        });
      }
    } catch {
      // Not JSON after all.
    }
  }
  const plain = text.trim();
  return new ApiError({ status: response.status, detail: plain.length < 300 ? plain : '' });
}

/**
 * A client for one token: <c>token()</c> is read at each request (it may change), <c>headers()</c> adds any more (the visit
 * page's Client-Instance).
 *   send(path, options) → the Response (rejects only when the server cannot be reached), for callers that look at statuses;
 *   call(method, path, options) → the parsed JSON (or text) of a 2xx answer, else throws an ApiError.
 */
export function apiClient({ token, headers = () => ({}) }) {
  const send = (path, options = {}) => fetch(path, Object.assign({ cache: 'no-store' }, options, {
    headers: Object.assign({ Authorization: `Bearer ${token()}` }, headers(), options.headers || {}),
  }));

  const call = async (method, path, options = {}) => {
    let response;
    try {
      response = await send(path, Object.assign({}, options, {
        method,
        headers: Object.assign({ Accept: 'application/json' }, options.headers || {}),
      }));
    } catch (error) {
      throw new ApiError({ status: 0, detail: String((error && error.message) || error) });
    }
    if (!response.ok) {
      throw await readProblem(response);
    }
    const contentType = response.headers.get('Content-Type') || '';
    return contentType.includes('json') ? response.json() : response.text();
  };

  /** A request that outlives the page (Fetch §4.5 keepalive): leaving a visit or a tap when the tab closes. */
  const sendOnUnload = (path, method) => {
    send(path, { method, keepalive: true }).catch(() => {});
  };

  return { send, call, sendOnUnload };
}
