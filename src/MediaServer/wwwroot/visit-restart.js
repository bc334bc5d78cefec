// ICE restart of the /visit page's leg when its path fails (docs/api.md, "PATCH /api/visits/{id}/legs/{legId}"; RFC 9725
// §4.3, RFC 8445 §9): the same peer connection, the same leg and seat, the same DTLS association, only a new path. A
// restart that the server refuses, or whose connection does not come up after a few tries, is left to a fresh join.
import { restartIce } from './common/webrtc.js';
import { backoffMs, isTransient } from './visit-recovery.js';

// A restarted connection not up by then is restarted again: new credentials make the browser check every pair at once,
// where the checks of the last restart have backed off (RFC 8445 §14.3), so the picture is back soon after the network.
const RESTART_TIMEOUT_MS = 2500;
const RESTARTS = 5;

const delay = (ms) => new Promise((resolve) => { setTimeout(resolve, ms); });

/** Whether the leg's DTLS transport is closed or failed (the server closed the leg, e.g. draining): no restart helps. */
export function dtlsClosed(pc) {
  const sender = pc.getSenders().find((s) => s.transport);
  return !!sender && (sender.transport.state === 'closed' || sender.transport.state === 'failed');
}

/** Resolves true as soon as <c>pc</c> is connected, false after <c>ms</c> or when it closes. */
function connectedWithin(pc, ms) {
  if (pc.connectionState === 'connected') {
    return Promise.resolve(true);
  }
  return new Promise((resolve) => {
    const done = (value) => {
      clearTimeout(timer);
      pc.removeEventListener('connectionstatechange', check);
      resolve(value);
    };
    const check = () => {
      if (pc.connectionState === 'connected') {
        done(true);
      } else if (pc.connectionState === 'closed') {
        done(false);
      }
    };
    const timer = setTimeout(() => done(false), ms);
    pc.addEventListener('connectionstatechange', check);
  });
}

/**
 * Restarts ICE on the leg at <c>legUrl</c> until the connection is up: 'connected'; 'rejoin' when the server refused the
 * restart for good (the leg is closed, the server restarted and has no such leg…) or it never came up; 'stale' when
 * <c>current()</c> turned false (the page moved on). A server that cannot be reached or is restarting is tried again.
 */
export async function restartLeg(pc, send, legUrl, current, onAttempt) {
  for (let attempt = 0; attempt < RESTARTS; attempt++) {
    if (attempt > 0) {
      await delay(backoffMs(attempt - 1));
    }
    if (!current()) {
      return 'stale';
    }
    let outcome = null;
    try {
      onAttempt(attempt);
      outcome = await restartIce(pc, send, legUrl);
    } catch {
      // Not reached (or the browser refused the offer): try again.
    }
    if (!current()) {
      return 'stale';
    }
    if (outcome && !outcome.ok && !isTransient(outcome.problem)) {
      return 'rejoin';
    }
    if (outcome && outcome.ok && await connectedWithin(pc, RESTART_TIMEOUT_MS)) {
      return 'connected';
    }
  }
  return current() ? 'rejoin' : 'stale';
}
