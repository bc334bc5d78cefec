// One seat, one tab: two tabs of one browser share the join code and the client instance (localStorage), so the server
// takes each one's join as the same client coming back and they would take the seat from each other in a loop. The tab
// that has the seat holds a Web Lock (named for the visit and participant); another tab waits for it briefly — a reload's
// old page lets go as it unloads — and otherwise says the visit is open elsewhere and stops.

const WAIT_MS = 2000;
let release = null;

/** Resolves true once this tab holds the seat (or the browser has no Web Locks), false when another tab holds it. */
export function holdSeat(claims) {
  if (release) {
    return Promise.resolve(true);
  }
  if (!navigator.locks || typeof AbortSignal.timeout !== 'function') {
    return Promise.resolve(true);
  }
  const name = `visit-seat:${claims.visit}:${claims.sub || ''}`;
  return new Promise((resolve) => {
    navigator.locks.request(name, { signal: AbortSignal.timeout(WAIT_MS) }, () => {
      resolve(true);
      return new Promise((done) => { release = done; });
    }).catch(() => resolve(false));
  });
}

/** Lets another tab have the seat (this one left, or the visit ended for it). */
export function releaseSeat() {
  const done = release;
  release = null;
  done?.();
}
