// The WebRTC client both the visit page and the officer's tap use, in the manner of WHIP (RFC 9725): one POST of a complete
// SDP offer, 201 with the answer and a Location naming the new resource (a leg, a tap), DELETE of that Location to end it.
import { readProblem } from './api.js';

// The server is ICE-lite and never trickles, so the offer must carry our candidates; wait this long for gathering at most.
export const GATHER_TIMEOUT_MS = 2000;

/** Resolves when ICE gathering is complete, or after <paramref name="timeoutMs"/> with what has been gathered by then. */
export function waitForGathering(pc, timeoutMs = GATHER_TIMEOUT_MS) {
  if (pc.iceGatheringState === 'complete') {
    return Promise.resolve();
  }
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      pc.removeEventListener('icegatheringstatechange', check);
      resolve();
    };
    const check = () => {
      if (pc.iceGatheringState === 'complete') {
        done();
      }
    };
    const timer = setTimeout(done, timeoutMs);
    pc.addEventListener('icegatheringstatechange', check);
  });
}

/** Creates and applies the offer and waits for the candidates: the SDP to post. */
export async function completeOffer(pc, timeoutMs = GATHER_TIMEOUT_MS) {
  await pc.setLocalDescription(await pc.createOffer());
  await waitForGathering(pc, timeoutMs);
  return pc.localDescription.sdp;
}

/**
 * POSTs the offer with the client's <c>send</c> (see api.js). 201: <c>{ ok: true, location, answer }</c>, the Location as the
 * server wrote it; anything else: <c>{ ok: false, problem }</c> with the refusal as an ApiError. Rejects only when the server
 * cannot be reached.
 */
export async function postOffer(send, path, sdp) {
  const response = await send(path, { method: 'POST', headers: { 'Content-Type': 'application/sdp' }, body: sdp });
  if (response.status !== 201) {
    return { ok: false, problem: await readProblem(response) };
  }
  return { ok: true, location: response.headers.get('Location'), answer: await response.text() };
}

export function applyAnswer(pc, sdp) {
  return pc.setRemoteDescription({ type: 'answer', sdp });
}

/** DELETEs a leg or tap (RFC 9725 §4.3); resolves to the Response, or null when the server could not be reached. */
export function endResource(send, location) {
  return send(location, { method: 'DELETE' }).catch(() => null);
}

/** Closes a peer connection that may already be closed. */
export function closeQuietly(pc) {
  if (!pc) {
    return;
  }
  try {
    pc.close();
  } catch {
    // Already closed.
  }
}

/**
 * Plays a media element; when the browser refuses sound without a click, calls <paramref name="refused"/> (which may mute and
 * retry, or show a "Turn on sound" button).
 */
export function playOrPrompt(media, refused) {
  const played = media.play();
  if (played && typeof played.catch === 'function') {
    played.catch(() => refused(media));
  }
}

/**
 * ICE restart of a resource (RFC 9725 §4.3; JSEP RFC 8829 §5.2.1): a new offer with new ICE credentials PATCHed to its
 * Location, the answer applied. <c>{ ok: true }</c>, or <c>{ ok: false, problem }</c> with the local offer rolled back;
 * rejects (offer rolled back) when the server cannot be reached.
 */
export async function restartIce(pc, send, location, timeoutMs = GATHER_TIMEOUT_MS) {
  await pc.setLocalDescription(await pc.createOffer({ iceRestart: true }));
  await waitForGathering(pc, timeoutMs);
  const rollback = () => pc.setLocalDescription({ type: 'rollback' }).catch(() => {});
  let response;
  try {
    response = await send(location, { method: 'PATCH', headers: { 'Content-Type': 'application/sdp' }, body: pc.localDescription.sdp });
  } catch (error) {
    await rollback();
    throw error;
  }
  if (response.status !== 200) {
    const problem = await readProblem(response);
    await rollback();
    return { ok: false, problem };
  }
  await applyAnswer(pc, await response.text());
  return { ok: true };
}
