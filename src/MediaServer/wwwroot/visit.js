// The /visit page: joins a visit with a WebRTC offer (docs/architecture.md; README, "API notes": POST
// /api/visits/{id}/join), shows the other parties and says clearly why a visit ended. Framework-free on purpose: kiosks and
// old phones load it from the server with no network beyond. The shared parts are in common/; the parties, the device and
// the statistics in visit-*.js.
//
// Test hooks (read by tests/MediaServer.WebRtcTests): window.visitPc is the live RTCPeerConnection, window.visitTimings the
// join timeline in performance.now() milliseconds (and epoch milliseconds for comparing two pages), window.visitRoster the
// last roster the server sent.
import { cleanToken, readClaims, takeTokenFromAddress } from './common/auth.js';
import { apiClient } from './common/api.js';
import { $, sayIn, setState } from './common/page.js';
import { applyAnswer, closeQuietly, completeOffer, endResource, postOffer } from './common/webrtc.js';
import { clientInstance, openMedia, peerConnectionFor, trackOf, wireLocalControls } from './visit-device.js';
import { createTiles, partyLabel, pollRoster } from './visit-parties.js';
import { refusalFor } from './visit-refusals.js';
import { pollQuality, watchFirstFrame } from './visit-stats.js';

// ICE 'disconnected' can be a short blip; longer than this and the visit is treated as over.
const DISCONNECT_GRACE_MS = 5000;
const STATS_INTERVAL_MS = 2000;
// One automatic re-join after a lost connection tells "the facility ended it" (410) from a network blip (201, reconnected).
// Bounded, so two devices sharing one join code cannot keep taking the leg from each other.
const AUTO_REJOIN_MIN_INTERVAL_MS = 120000;
// How often the list of who is in the visit is refreshed while connected.
const ROSTER_INTERVAL_MS = 3000;

const ui = Object.fromEntries(['status', 'quality', 'join', 'token', 'call', 'tiles', 'waiting', 'mute', 'camera', 'leave',
  'ended', 'rejoin', 'roster', 'sound'].map((id) => [id, $(id)]));
Object.assign(ui, {
  qualityText: $('quality-text'), form: $('join-form'), tokenError: $('token-error'), selfView: $('self-view'),
  soundPrompt: $('sound-prompt'), endedTitle: $('ended-title'), endedDetail: $('ended-detail'),
  tileTemplate: $('tile-template'), rosterList: $('roster-list'),
});

const session = {
  token: '',
  claims: null,
  stream: null,
  pc: null,
  legUrl: null,
  generation: 0,
  everConnected: false,
  ending: false,
  lastAutoRejoin: -Infinity,
  disconnectTimer: 0,
  statsTimer: 0,
  instance: '',
  rosterTimer: 0,
};

window.visitPc = null;
window.visitTimings = null;
window.visitRoster = null;

const say = sayIn(ui.status);
const api = apiClient({
  token: () => session.token,
  headers: () => ({ 'Client-Instance': session.instance || (session.instance = clientInstance(session.claims)) }),
});
const tiles = createTiles(ui, (index) => partyLabel(session.claims, index));
const visitPath = (what) => `/api/visits/${encodeURIComponent(session.claims.visit)}/${what}`;

// --- Join code -----------------------------------------------------------------------------------------------------

function showTokenError(text) {
  ui.tokenError.textContent = text;
  ui.tokenError.hidden = false;
  ui.token.setAttribute('aria-invalid', 'true');
  ui.token.focus();
}

function acceptToken(raw) {
  const token = cleanToken(raw);
  if (!token) {
    showTokenError('Please paste your join code first.');
    return false;
  }
  const claims = readClaims(token);
  if (!claims || typeof claims.visit !== 'string' || !claims.visit) {
    showTokenError('This does not look like a join code for a visit. Please check that you copied all of it.');
    return false;
  }
  ui.tokenError.hidden = true;
  ui.token.removeAttribute('aria-invalid');
  session.token = token;
  session.claims = claims;
  session.instance = '';
  return true;
}

// --- Joining -------------------------------------------------------------------------------------------------------

/** Joins, or re-joins after a lost connection; returns true when media is being set up. */
async function join({ afterLoss = false } = {}) {
  const generation = ++session.generation;
  const current = () => generation === session.generation;
  session.ending = false;
  session.everConnected = false;
  setState('joining');
  ui.join.hidden = true;
  ui.ended.hidden = true;
  ui.call.hidden = false;

  if (!session.stream) {
    say('Starting your camera and microphone…');
    session.stream = await openMedia();
    ui.selfView.srcObject = session.stream;
    updateLocalControls();
  }
  say(session.stream ? 'Connecting to the visit…' : 'Your camera and microphone are not available. You can still see and hear the others. Connecting…');

  const pc = peerConnectionFor(session.stream);
  session.pc = pc;
  tiles.clear();
  window.visitPc = pc;
  const timings = { started: performance.now() };
  window.visitTimings = timings;
  wirePeerConnection(pc, generation);

  let offer;
  try {
    offer = await completeOffer(pc);
  } catch (error) {
    if (current()) {
      finish('This device cannot start a video call', String(error && error.message || error), {});
    }
    return false;
  }
  if (!current()) {
    return false;
  }
  let answer;
  try {
    timings.offerPostedAt = performance.now();
    answer = await postOffer(api.send, visitPath('join'), offer);
  } catch {
    if (current()) {
      if (afterLoss) {
        finish('The visit has ended', 'The connection to the visit was lost.', { rejoin: true });
      } else {
        finish('Could not reach the visit', 'Please check your internet connection and try again.', { rejoin: true });
      }
    }
    return false;
  }
  if (!current()) {
    return false;
  }
  if (!answer.ok) {
    finish(...refusalFor(answer.problem));
    return false;
  }
  session.legUrl = answer.location ? new URL(answer.location, window.location.href).href : null;
  try {
    timings.remoteDescriptionAt = performance.now();
    timings.remoteDescriptionEpoch = Date.now();
    await applyAnswer(pc, answer.answer);
  } catch {
    finish('Could not start the visit', 'The server sent a call setup this device could not use.', { rejoin: true });
    return false;
  }
  setState('connecting');
  startWatching(pc, generation);
  watchDtls(pc, generation);
  watchFirstFrame(pc, current, timings);
  return true;
}

// --- Connection ----------------------------------------------------------------------------------------------------

function wirePeerConnection(pc, generation) {
  const current = () => generation === session.generation && !session.ending;

  pc.addEventListener('track', (event) => {
    if (current()) {
      tiles.attach(pc, event.transceiver, event.track);
    }
  });

  pc.addEventListener('connectionstatechange', () => {
    if (!current()) {
      return;
    }
    switch (pc.connectionState) {
      case 'connected':
        clearDisconnectTimer();
        if (!session.everConnected) {
          session.everConnected = true;
          window.visitTimings.connectedAt = performance.now();
          window.visitTimings.connectedEpoch = Date.now();
        }
        setState('connected');
        say('You are connected.');
        ui.quality.hidden = false;
        break;
      case 'disconnected':
        startDisconnectTimer(pc, generation);
        break;
      case 'failed':
      case 'closed':
        connectionLost(generation);
        break;
      default:
        break;
    }
  });

  pc.addEventListener('iceconnectionstatechange', () => {
    if (!current()) {
      return;
    }
    const state = pc.iceConnectionState;
    if (state === 'disconnected') {
      startDisconnectTimer(pc, generation);
    } else if (state === 'connected' || state === 'completed') {
      clearDisconnectTimer();
    } else if (state === 'failed' || state === 'closed') {
      connectionLost(generation);
    }
  });
}

/** A DTLS close_notify from the server (RFC 5246 §7.2.1) is the quickest sign that it closed our leg. */
function watchDtls(pc, generation) {
  // The transport exists once descriptions are applied; with BUNDLE every sender shares it.
  const sender = pc.getSenders().find((s) => s.transport);
  const transport = sender && sender.transport;
  if (!transport) {
    return;
  }
  transport.addEventListener('statechange', () => {
    if (generation === session.generation && !session.ending
      && (transport.state === 'closed' || transport.state === 'failed')) {
      connectionLost(generation);
    }
  });
}

function clearDisconnectTimer() {
  clearTimeout(session.disconnectTimer);
  session.disconnectTimer = 0;
}

function startDisconnectTimer(pc, generation) {
  if (session.disconnectTimer) {
    return;
  }
  if (session.everConnected) {
    say('The connection is unsteady…');
  }
  session.disconnectTimer = setTimeout(() => {
    session.disconnectTimer = 0;
    if (generation === session.generation && pc.iceConnectionState === 'disconnected') {
      connectionLost(generation);
    }
  }, DISCONNECT_GRACE_MS);
}

async function connectionLost(generation) {
  if (generation !== session.generation || session.ending) {
    return;
  }
  const wasConnected = session.everConnected;
  stopCall();
  if (!wasConnected) {
    finish('Could not connect to the visit', 'The connection could not be set up. Please try again.', { rejoin: true });
    return;
  }
  const now = performance.now();
  if (now - session.lastAutoRejoin < AUTO_REJOIN_MIN_INTERVAL_MS) {
    finish('The visit has ended', 'The connection to the visit was closed.', { rejoin: true });
    return;
  }
  // Ask the server once: a 410 says who ended the visit; a new leg means it was only the network.
  session.lastAutoRejoin = now;
  say('The connection was lost. Checking the visit…');
  const rejoined = await join({ afterLoss: true });
  if (rejoined) {
    say('Reconnecting…');
  } else if (document.body.dataset.state !== 'ended') {
    finish('The visit has ended', 'The connection to the visit was closed.', { rejoin: true });
  }
}

/** Closes the current connection and its timers; keeps the camera for a possible re-join. */
function stopCall() {
  session.ending = true;
  clearDisconnectTimer();
  stopWatching();
  closeQuietly(session.pc);
  ui.quality.hidden = true;
}

function releaseMedia() {
  if (session.stream) {
    session.stream.getTracks().forEach((t) => t.stop());
    session.stream = null;
    ui.selfView.srcObject = null;
  }
}

function finish(title, detail, { rejoin = false, newCode = false } = {}) {
  stopCall();
  session.generation++;
  if (!rejoin) {
    releaseMedia();
  }
  setState('ended');
  say('');
  ui.call.hidden = true;
  ui.ended.hidden = false;
  ui.endedTitle.textContent = title;
  ui.endedDetail.textContent = detail;
  ui.endedDetail.hidden = !detail;
  ui.rejoin.hidden = !rejoin;
  if (newCode) {
    ui.join.hidden = false;
  }
  ui.endedTitle.focus();
}

async function leave() {
  if (session.ending) {
    return;
  }
  ui.leave.disabled = true;
  const legUrl = session.legUrl;
  stopCall();
  session.generation++;
  if (legUrl) {
    // The server closes an abandoned leg on its own; leaving succeeds here whatever it answers.
    await endResource(api.send, legUrl);
  }
  session.legUrl = null;
  ui.leave.disabled = false;
  finish('You left the visit', 'Thank you. You can close this page.', { rejoin: true });
}

// --- Who is in the visit, and how the connection is -----------------------------------------------------------------

/** Refreshes the roster every ROSTER_INTERVAL_MS and the quality every STATS_INTERVAL_MS while this connection is current. */
function startWatching(pc, generation) {
  stopWatching();
  const current = () => generation === session.generation && !!session.claims;
  session.rosterTimer = pollRoster(ui, () => api.send(visitPath('roster')), current, ROSTER_INTERVAL_MS);
  session.statsTimer = pollQuality(pc, current, ui, tiles, STATS_INTERVAL_MS);
}

function stopWatching() {
  clearInterval(session.rosterTimer);
  clearInterval(session.statsTimer);
  session.rosterTimer = 0;
  session.statsTimer = 0;
}

// --- Controls ------------------------------------------------------------------------------------------------------

const updateLocalControls = wireLocalControls(ui, () => session.stream, say);

ui.leave.addEventListener('click', () => leave());
ui.sound.addEventListener('click', () => tiles.unmuteAll());
ui.rejoin.addEventListener('click', () => {
  session.lastAutoRejoin = -Infinity;
  join();
});

ui.form.addEventListener('submit', (event) => {
  event.preventDefault();
  if (acceptToken(ui.token.value)) {
    join();
  }
});

// Leaving the page leaves the visit; keepalive lets the request outlive the page.
window.addEventListener('pagehide', () => {
  if (session.legUrl && !session.ending) {
    api.sendOnUnload(session.legUrl, 'DELETE');
  }
});

// A kiosk opens /visit?token=…: join at once. The token is then taken out of the address bar (and history).
const fromUrl = takeTokenFromAddress();
if (fromUrl) {
  if (acceptToken(fromUrl)) {
    join();
  } else {
    ui.token.value = fromUrl;
  }
}
