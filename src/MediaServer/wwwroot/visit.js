// The /visit page: joins a visit with a WebRTC offer (docs/architecture.md; README, "API notes": POST /api/visits/{id}/join),
// shows the other parties and says clearly why a visit ended. Framework-free on purpose: kiosks and old phones load it from
// the server with no network beyond. Shared parts in common/; parties, device, statistics, recovery, summary in visit-*.js.
//
// Test hooks (read by tests/MediaServer.WebRtcTests): window.visitPc the live RTCPeerConnection, window.visitTimings the join
// timeline in performance.now() ms (epoch ms to compare pages; iceRestarts counts PATCHes), visitLeg, visitRoster (the last one).
import { takeTokenFromAddress } from './common/auth.js';
import { readJoinCode } from './visit-code.js';
import { apiClient } from './common/api.js';
import { $, sayIn, setState } from './common/page.js';
import { applyAnswer, closeQuietly, completeOffer, endResource, postOffer } from './common/webrtc.js';
import { dtlsClosed, restartLeg } from './visit-restart.js';
import { withDeviceSwitch } from './visit-switch.js';
import { holdSeat, releaseSeat } from './visit-seat.js';
import { clientInstance, openMedia, peerConnectionFor, wireLeaveConfirm, wireLocalControls } from './visit-device.js';
import { createTiles, partyLabel, pollRoster } from './visit-parties.js';
import { watchConnection } from './visit-connection.js';
import { refusalFor } from './visit-refusals.js';
import { backoffMs, forgetToken, isTransient, keepToken, keptToken, othersReconnecting, rosterNews, rosterSaysGone, tokenExpired } from './visit-recovery.js';
import { pollQuality, watchFirstFrame } from './visit-stats.js';
import { createPresence } from './visit-presence.js';
import { deviceCheck } from './visit-check.js';
import './visit-summary.js'; // tells the family what the server saw of their visit when it ends (watches body[data-state])

// ICE 'disconnected' can be a short blip; longer than this and the page restarts ICE (the server keeps the seat meanwhile).
const DISCONNECT_GRACE_MS = 2000;
// A re-join whose connection is not up by then is given up for a fresh one: a new connection checks the path at once, while
// an old one's ICE checks have backed off (RFC 8445 §14.3), so the picture is back sooner once the network is.
const RECONNECT_TIMEOUT_MS = 4000;
const STATS_INTERVAL_MS = 2000;
const ROSTER_INTERVAL_MS = 3000; // how often the list of who is in the visit is refreshed while connected

const ui = Object.fromEntries(['status', 'quality', 'join', 'token', 'call', 'tiles', 'waiting', 'mute', 'camera', 'leave',
  'ended', 'rejoin', 'roster', 'sound', 'news', 'clock', 'insecure'].map((id) => [id, $(id)]));
Object.assign(ui, {
  qualityText: $('quality-text'), form: $('join-form'), tokenError: $('token-error'), selfView: $('self-view'),
  soundPrompt: $('sound-prompt'), endedTitle: $('ended-title'), endedDetail: $('ended-detail'),
  tileTemplate: $('tile-template'), rosterList: $('roster-list'), leaveConfirm: $('leave-confirm'), leaveYes: $('leave-yes'),
  leaveNo: $('leave-no'), timeWarning: $('time-warning'),
});

const session = {
  token: '',
  claims: null,
  stream: null, pc: null, legUrl: null,
  generation: 0, everConnected: false, ending: false,
  // Re-joining after a lost connection: the attempt (for the backoff), the run (a newer run or the end stops an older one).
  recovering: false,
  restarting: false, // an ICE restart of the leg is under way (visit-restart.js); upSince: when it was last connected
  upSince: 0, attempt: 0, recoveryRun: 0,
  lastRoster: null, watch: null,
  statsTimer: 0, rosterTimer: 0,
  instance: '',
};

window.visitPc = window.visitTimings = window.visitRoster = null;

const say = sayIn(ui.status);
const api = apiClient({
  token: () => session.token,
  headers: () => ({ 'Client-Instance': session.instance || (session.instance = clientInstance(session.claims)) }),
});
const tiles = createTiles(ui, (index) => partyLabel(session.claims, index));
const presence = createPresence(ui, { send: api.send, stream: () => session.stream, claims: () => session.claims, legUrl: () => session.legUrl });
const visitPath = (what) => `/api/visits/${encodeURIComponent(session.claims.visit)}/${what}`;

// --- Join code -----------------------------------------------------------------------------------------------------

function acceptToken(raw) {
  const code = readJoinCode(ui, raw);
  if (!code) {
    return false;
  }
  Object.assign(session, { token: code.token, claims: code.claims, instance: '' });
  keepToken(code.token);
  return true;
}

// --- Joining -------------------------------------------------------------------------------------------------------

/**
 * Joins, or re-joins after a lost connection (<c>recovering</c>): 'joined' when media is being set up, 'retry' when the
 * server could not be reached or is restarting, 'final' when the page shows why it cannot go on.
 */
async function join({ recovering = false } = {}) {
  const generation = ++session.generation;
  const current = () => generation === session.generation;
  session.ending = false;
  session.everConnected = false;
  setState(recovering ? 'reconnecting' : 'joining');
  ui.join.hidden = true;
  ui.ended.hidden = true;
  ui.call.hidden = false;

  if (!session.stream) {
    say('Starting your camera and microphone…');
    session.stream = await openMedia();
    ui.selfView.srcObject = session.stream;
    updateLocalControls();
  }
  say(recovering ? 'Reconnecting…' : session.stream ? 'Connecting to the visit…' : 'Your camera and microphone are not available. You can still see and hear the others. Connecting…');

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
    return 'final';
  }
  if (!current()) {
    return 'final';
  }
  let answer;
  try {
    timings.offerPostedAt = performance.now();
    answer = await postOffer(api.send, visitPath('join'), offer);
  } catch {
    if (recovering) {
      return 'retry';
    }
    if (current()) {
      finish('Could not reach the visit', 'Please check your internet connection and try again.', { rejoin: true });
    }
    return 'final';
  }
  if (!current()) {
    return 'final';
  }
  if (!answer.ok) {
    if (isTransient(answer.problem) && (recovering || answer.problem.slug === 'restarting')) {
      return 'retry';
    }
    finish(...refusalFor(answer.problem));
    return 'final';
  }
  session.legUrl = window.visitLeg = answer.location ? new URL(answer.location, window.location.href).href : null;
  try {
    timings.remoteDescriptionAt = performance.now();
    timings.remoteDescriptionEpoch = Date.now();
    await applyAnswer(pc, answer.answer);
  } catch {
    finish('Could not start the visit', 'The server sent a call setup this device could not use.', { rejoin: true });
    return 'final';
  }
  if (!recovering) {
    setState('connecting');
  } else {
    // The server answered: the backoff (for a server that cannot be reached) starts again.
    session.attempt = 0;
    session.watch.deadline(RECONNECT_TIMEOUT_MS);
  }
  startWatching(pc, generation);
  session.watch.watchDtls();
  watchFirstFrame(pc, current, timings);
  return 'joined';
}

/**
 * Joins (the form, the address, a kept code); a family's new code checks camera and sound first (<c>check</c>, visit-check.js).
 * A server that is restarting is retried as a lost connection is.
 */
async function start(check = false) {
  session.recovering = false;
  session.attempt = 0;
  if (!await holdSeat(session.claims)) {
    finish('This visit is open in another tab', 'Continue in the other tab or window, or close it and reload this page.', {});
    return;
  }
  if (check && session.claims.role === 'visitor' && !session.stream) {
    setState('check');
    ui.join.hidden = true;
    session.stream = await deviceCheck();
    ui.selfView.srcObject = session.stream;
    updateLocalControls();
  }
  if (await join() === 'retry') {
    recover();
  }
}

// --- Connection ----------------------------------------------------------------------------------------------------

function wirePeerConnection(pc, generation) {
  const current = () => generation === session.generation && !session.ending;
  pc.addEventListener('track', (event) => {
    if (current()) {
      tiles.attach(pc, event.transceiver, event.track);
    }
  });
  session.watch = watchConnection(pc, {
    current,
    graceMs: DISCONNECT_GRACE_MS,
    lost: () => connectionLost(generation),
    unsteady: () => {
      if (session.everConnected) {
        say('The connection is unsteady…');
      }
    },
    connected: () => {
      if (!session.everConnected) {
        session.everConnected = true;
        window.visitTimings.connectedAt = performance.now();
        window.visitTimings.connectedEpoch = Date.now();
      }
      session.upSince = performance.now();
      setState('connected');
      say(session.recovering ? 'You are connected again.' : 'You are connected.');
      session.recovering = false;
      session.attempt = 0;
      ui.quality.hidden = false;
    },
  });
}

/** A lost path is restarted on the same leg first (ICE restart); a refused or failed restart, or a closed leg, is a fresh join. */
function connectionLost(generation, { rejoin = false } = {}) {
  if (generation !== session.generation || session.ending || (session.restarting && !rejoin)) {
    return;
  }
  const wasConnected = session.everConnected || session.recovering;
  if (wasConnected && !rejoin && session.legUrl && !dtlsClosed(session.pc)) {
    restart(generation);
    return;
  }
  stopCall();
  if (!wasConnected) {
    finish('Could not connect to the visit', 'The connection could not be set up. Please try again.', { rejoin: true });
    return;
  }
  recover();
}

async function restart(generation) {
  const run = ++session.recoveryRun;
  const current = () => run === session.recoveryRun && generation === session.generation && !session.ending;
  session.restarting = session.recovering = true;
  setState('reconnecting');
  say('Reconnecting…');
  const counted = () => { window.visitTimings.iceRestarts = (window.visitTimings.iceRestarts || 0) + 1; };
  const outcome = await restartLeg(session.pc, api.send, session.legUrl, current, counted);
  session.restarting = false;
  if (outcome === 'rejoin') {
    connectionLost(generation, { rejoin: true });
  }
}

/**
 * Re-joins with the same code after a lost connection, with backoff (0.5, 1, 2, 4, then every 5 s), until the connection
 * is back, the server says the visit is over, or the code expires. The server keeps this party's seat meanwhile.
 */
async function recover() {
  const run = ++session.recoveryRun;
  session.recovering = true;
  setState('reconnecting');
  say('Reconnecting…');
  ui.call.hidden = false;
  for (;;) {
    await new Promise((resolve) => { setTimeout(resolve, backoffMs(session.attempt++)); });
    if (run !== session.recoveryRun) {
      return;
    }
    if (tokenExpired(session.claims)) {
      finish('The visit has ended', 'The connection to the visit was lost, and the join code has expired.', {});
      return;
    }
    if (await join({ recovering: true }) !== 'retry' || run !== session.recoveryRun) {
      return;
    }
  }
}

/** Closes the current connection and its timers; keeps the camera for a possible re-join. */
function stopCall() {
  session.ending = true;
  session.watch?.stop();
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
  session.generation++; session.recoveryRun++;
  session.recovering = session.restarting = false;
  releaseSeat(); presence.stop();
  if (!rejoin) {
    releaseMedia();
    forgetToken();
  }
  setState('ended');
  say('');
  ui.call.hidden = true; ui.ended.hidden = false;
  ui.endedTitle.textContent = title;
  ui.endedDetail.textContent = detail;
  ui.endedDetail.hidden = !detail;
  ui.rejoin.hidden = !rejoin;
  if (newCode) ui.join.hidden = false;
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
  forgetToken();
  finish('You left the visit', 'Thank you. You can close this page.', { rejoin: true });
}

// --- Who is in the visit, and how the connection is -----------------------------------------------------------------

/** Refreshes the roster every ROSTER_INTERVAL_MS and the quality every STATS_INTERVAL_MS while this connection is current. */
function startWatching(pc, generation) {
  stopWatching();
  const current = () => generation === session.generation && !!session.claims;
  session.rosterTimer = pollRoster(ui, () => api.send(visitPath('roster')), current, ROSTER_INTERVAL_MS,
    (roster) => onRoster(roster, generation));
  session.statsTimer = pollQuality(pc, current, ui, tiles, STATS_INTERVAL_MS);
}

/** Says by name who is reconnecting, has left or is back; a roster that says this party is gone starts a re-join. */
function onRoster(roster, generation) {
  const news = rosterNews(session.lastRoster, roster);
  session.lastRoster = roster;
  presence.seen(roster);
  tiles.describe(roster);
  if (news) {
    ui.news.textContent = news;
    ui.news.hidden = false;
  }
  tiles.hold(othersReconnecting(roster));
  if (session.everConnected && !session.restarting && rosterSaysGone(roster, performance.now() - session.upSince)) {
    connectionLost(generation, { rejoin: true });
  }
}

function stopWatching() {
  clearInterval(session.rosterTimer);
  clearInterval(session.statsTimer);
  session.rosterTimer = session.statsTimer = 0;
}

// --- Controls ------------------------------------------------------------------------------------------------------

const updateLocalControls = withDeviceSwitch(wireLocalControls(ui, () => session.stream, say, () => presence.report()), () => session, say,
  () => presence.report());

wireLeaveConfirm(ui, leave);
ui.sound.addEventListener('click', () => tiles.unmuteAll());
ui.rejoin.addEventListener('click', () => { keepToken(session.token); start(); });

ui.form.addEventListener('submit', (event) => {
  event.preventDefault();
  if (acceptToken(ui.token.value)) start(true);
});

// Leaving the page (a reload or a closed tab; it cannot tell which) keeps the seat for a short grace (docs/api.md, "DELETE
// …?reason=unload"): a reload takes it back, a closed tab has left after it. Only the Leave button leaves at once.
window.addEventListener('pagehide', () => {
  if (session.legUrl && !session.ending) {
    api.sendOnUnload(`${session.legUrl}?reason=unload`, 'DELETE');
  }
});

// A kiosk opens /visit?token=… and joins at once (a family checks first). The token then leaves the address bar and history
// and is kept for this tab, so a reload rejoins the same seat.
const fromAddress = takeTokenFromAddress(), kept = keptToken(), fromUrl = fromAddress || kept;
if (fromUrl && acceptToken(fromUrl)) {
  start(!!fromAddress && fromAddress !== kept); // the link again in a tab that was in the visit: straight back in
} else if (fromUrl) {
  ui.token.value = fromUrl;
}
