// The /officer console: live visits (flagged first) pushed by the server, a one-click tap that shows and plays every party,
// flags with a note, terminate after a confirmation, and an alert when a visit cannot be recorded (README, "Officer
// console"). The feed is officer-feed.js, the tap officer-tap.js, the shared parts common/.
//
// Test hooks (read by tests/MediaServer.WebRtcTests): window.officerTap is the open tap ({visitId, location, pc}) or null;
// window.officerSnapshot the last list received; body[data-state] is signed-out, live or tapping.
import { cleanToken, isExpired, readClaims, tabStore, takeTokenFromAddress } from './common/auth.js';
import { apiClient, readProblem } from './common/api.js';
import { $, clock, sayIn, setState, showIn } from './common/page.js';
import { createFeed } from './officer-feed.js';
import { createTaps } from './officer-tap.js';
import { createTimelines } from './officer-timeline.js';

const ui = Object.fromEntries(['status', 'error', 'feed', 'token', 'console', 'visits', 'tap', 'unrecorded']
  .map((id) => [id, $(id)]));
Object.assign(ui, {
  feedText: $('feed-text'), signOut: $('sign-out'), signIn: $('sign-in'), signInForm: $('sign-in-form'),
  noVisits: $('no-visits'), visitCount: $('visit-count'), mixed: $('mixed-audio'), tapTitle: $('tap-title'),
  tapStatus: $('tap-status'), tapTiles: $('tap-tiles'), tapStop: $('tap-stop'), tapSound: $('tap-sound'),
  tapSoundButton: $('tap-sound-button'), visitTemplate: $('visit-template'), tileTemplate: $('tile-template'),
});

const session = { token: '', feed: null, snapshot: null, receivedAt: 0 };
window.officerSnapshot = null;

const store = tabStore('officerToken');
const api = apiClient({ token: () => session.token });
const say = sayIn(ui.status);
const showError = showIn(ui.error);
const timelines = createTimelines({ api, onError: (text) => showError(text) });
const taps = createTaps({
  ui, api, showError,
  visit: findVisit,
  title: visitTitle,
  rerender: () => { if (session.snapshot) render(session.snapshot); },
  signedIn: () => !!session.token,
});

/** What a refused request said, for the error line. */
const refusalText = async (response) => (await readProblem(response)).message;

// ---- sign in ----

function signIn(token) {
  const claims = readClaims(token);
  if (!claims) {
    showError('That is not a token: a token is three parts separated by dots.');
    return false;
  }
  const role = claims.role;
  if (role !== 'officer' && role !== 'admin') {
    showError(`This token is for the role "${role ?? 'none'}"; the console needs an officer token.`);
    return false;
  }
  if (isExpired(claims)) {
    showError('This token has expired. Ask for a new one.');
    return false;
  }
  session.token = token;
  store.save(token);
  showError('');
  ui.signIn.hidden = true;
  ui.console.hidden = false;
  ui.signOut.hidden = false;
  ui.feed.hidden = false;
  setState('live');
  say(`Signed in as ${claims.sub ?? 'unknown'} (${role}).` + (role === 'admin' ? ' Watching, flagging and ending visits need an officer token.' : ''));
  startFeed(token);
  return true;
}

async function signOut(message) {
  await taps.stop();
  session.token = '';
  store.forget();
  if (session.feed) session.feed.stop();
  session.feed = null;
  ui.console.hidden = true;
  ui.signIn.hidden = false;
  ui.signOut.hidden = true;
  ui.feed.hidden = true;
  ui.visits.replaceChildren();
  showUnrecorded(0);
  setState('signed-out');
  say('');
  showError(message || '');
}

ui.signInForm.addEventListener('submit', (event) => {
  event.preventDefault();
  if (signIn(cleanToken(ui.token.value))) ui.token.value = '';
});
ui.signOut.addEventListener('click', () => signOut(''));

// ---- the live list ----

function startFeed(token) {
  if (session.feed) session.feed.stop();
  session.feed = createFeed({
    open: (signal) => api.send('/api/officer/events', { headers: { Accept: 'text/event-stream' }, signal }),
    current: () => !!token && session.token === token,
    onVisits: render,
    onFeed: (state, text) => {
      ui.feed.dataset.feed = state;
      ui.feedText.textContent = text;
    },
    onRefused: (status) => signOut(status === 401
      ? 'The server did not accept the token (expired or not valid). Sign in again.'
      : 'This token may not open the console: it needs the officer or admin role.'),
  });
  session.feed.start();
}

// ---- rendering ----

const QUALITY_TEXT = { good: 'Connection good', fair: 'Connection fair', poor: 'Connection poor', connecting: 'Connecting', unknown: 'Connection unknown' };
const STATE_TEXT = { waiting: 'not joined', connecting: 'connecting', connected: 'connected', left: 'left', closed: 'disconnected' };

function visitTitle(visit) {
  const visitors = visit.visitors.map((v) => v.name).join(', ');
  return `${visit.inmate.name} (${visit.inmate.id}) with ${visitors || 'no visitors'}`;
}

/**
 * The alert over the list: how many live visits are going unrecorded (their recording failed and the server lets them go on,
 * MediaServer:Recording:OnFailure=continue-and-alert). Written only when the count changes, so it is announced once.
 */
function showUnrecorded(count) {
  const one = count === 1;
  const text = count === 0 ? ''
    : `${count} ${one ? 'visit is' : 'visits are'} not being recorded. ${one ? 'Its recording' : 'Their recordings'} failed and `
      + `the ${one ? 'visit goes' : 'visits go'} on, marked "Not recorded" below. Tell the system administrator.`;
  if (ui.unrecorded.textContent !== text) showIn(ui.unrecorded)(text);
  ui.unrecorded.dataset.count = String(count);
}

function render(snapshot) {
  session.snapshot = snapshot;
  session.receivedAt = performance.now();
  window.officerSnapshot = snapshot;
  const visits = snapshot.visits || [];
  ui.visitCount.textContent = `(${visits.length})`;
  ui.noVisits.hidden = visits.length > 0;
  showUnrecorded(typeof snapshot.unrecorded === 'number' ? snapshot.unrecorded : visits.filter((v) => v.recording === 'unrecorded').length);

  const existing = new Map([...ui.visits.children].map((li) => [li.dataset.visitId, li]));
  const wanted = [];
  for (const visit of visits) {
    let li = existing.get(visit.id);
    if (!li) li = createVisitItem(visit.id);
    existing.delete(visit.id);
    updateVisitItem(li, visit);
    wanted.push(li);
  }
  for (const gone of existing.values()) gone.remove();
  // Reorder only when the order changed: moving a node would take the focus out of a note being typed.
  const current = [...ui.visits.children];
  if (current.length !== wanted.length || current.some((li, i) => li !== wanted[i])) {
    for (const li of wanted) ui.visits.appendChild(li);
  }

  const tap = taps.open;
  if (tap && !visits.some((v) => v.id === tap.visitId)) {
    taps.stop(true).then(() => say(`The visit of ${tap.title} is no longer live; watching stopped.`));
  }
  tickDurations();
}

function createVisitItem(id) {
  const li = ui.visitTemplate.content.firstElementChild.cloneNode(true);
  li.dataset.visitId = id;
  const q = (selector) => li.querySelector(selector);
  const showForm = (name) => {
    q('.flag-form').hidden = name !== 'flag';
    q('.end-form').hidden = name !== 'end';
    if (name) q(name === 'flag' ? '.flag-note' : '.end-reason').focus();
  };
  q('.tap-button').addEventListener('click', () => toggleTap(id));
  q('.flag-open').addEventListener('click', () => showForm('flag'));
  q('.end-open').addEventListener('click', () => showForm('end'));
  timelines.attach(li, id);
  for (const cancel of li.querySelectorAll('.cancel')) cancel.addEventListener('click', () => showForm(''));
  q('.flag-form').addEventListener('submit', (event) => {
    event.preventDefault();
    flag(id, li);
  });
  q('.end-form').addEventListener('submit', (event) => {
    event.preventDefault();
    terminate(id, li);
  });
  return li;
}

function updateVisitItem(li, visit) {
  const q = (selector) => li.querySelector(selector);
  li.dataset.flagged = String(visit.flagged);
  li.dataset.recording = String(visit.recording || '');
  li.dataset.durationSeconds = String(visit.durationSeconds);
  q('.title').textContent = visitTitle(visit);
  q('.badge.flagged').hidden = !visit.flagged;
  q('.badge.privileged').hidden = !visit.privileged;
  q('.badge.unrecorded').hidden = visit.recording !== 'unrecorded';
  const quality = q('.quality');
  quality.dataset.quality = visit.quality;
  q('.quality-text').textContent = QUALITY_TEXT[visit.quality] ?? visit.quality;
  q('.taps').textContent = visit.taps === 0 ? '' : visit.taps === 1 ? '1 officer watching' : `${visit.taps} officers watching`;

  const parties = visit.participants.map((p) => {
    const item = document.createElement('li');
    const role = p.role === 'kiosk' ? 'inmate' : 'visitor';
    const state = STATE_TEXT[p.state] ?? p.state;
    item.textContent = `${p.name} (${role}): ${state}` + (p.state === 'connected' ? `, ${QUALITY_TEXT[p.quality]?.toLowerCase() ?? p.quality}, ${Math.round(p.bitrateKbps)} kbit/s` : '');
    return item;
  });
  q('.parties').replaceChildren(...parties);

  const flags = visit.flags.map((f) => {
    const item = document.createElement('li');
    const when = document.createElement('span');
    when.className = 'when';
    when.textContent = `${new Date(f.at).toLocaleTimeString()} by ${f.by}: `;
    item.append(when, document.createTextNode(f.note));
    return item;
  });
  q('.flags').replaceChildren(...flags);

  const tapButton = q('.tap-button');
  const tapped = taps.open?.visitId === visit.id;
  tapButton.setAttribute('aria-pressed', String(tapped));
  tapButton.textContent = tapped ? 'Stop watching' : 'Watch and listen';
  tapButton.disabled = visit.privileged || (taps.busy && !tapped);
  tapButton.title = visit.privileged ? 'Attorney and clergy visits are private: nobody may watch or listen.' : '';
}

function tickDurations() {
  const elapsed = (performance.now() - session.receivedAt) / 1000;
  for (const li of ui.visits.children) {
    const base = Number(li.dataset.durationSeconds || 0);
    li.querySelector('.duration').textContent = 'Live for ' + clock(base + (base > 0 ? elapsed : 0));
  }
}
setInterval(tickDurations, 1000);

function findVisit(id) {
  return session.snapshot?.visits?.find((v) => v.id === id) ?? null;
}

// ---- flag, terminate, tap ----

/** POSTs JSON; the Response, or a stand-in (599, the error as its text) when the server could not be reached. */
const postJson = (path, body) => api.send(path, {
  method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body),
}).catch((error) => new Response(String(error), { status: 599, statusText: 'unreachable' }));

/** The trimmed text of a visit's form field; '' (said in the error line, the field focused) when it is empty. */
function required(li, selector, missing) {
  const input = li.querySelector(selector);
  const text = input.value.trim();
  if (!text) {
    showError(missing);
    input.focus();
  }
  return text;
}

async function flag(id, li) {
  const note = required(li, '.flag-note', 'Write a short note for the flag: what happened, and what investigators should look at.');
  if (!note) return;
  showError('');
  const response = await postJson(`/api/visits/${encodeURIComponent(id)}/flags`, { note });
  if (response.status !== 201) {
    showError('The flag was not saved: ' + await refusalText(response));
    return;
  }
  const saved = await response.json();
  li.querySelector('.flag-note').value = '';
  li.querySelector('.flag-form').hidden = true;
  const visit = findVisit(id);
  say(`Flag saved at ${new Date(saved.at).toLocaleTimeString()}` + (visit ? ` on the visit of ${visitTitle(visit)}.` : '.'));
}

async function terminate(id, li) {
  const reason = required(li, '.end-reason', 'Give a reason for ending the visit; it is kept in the audit log.');
  if (!reason) return;
  const visit = findVisit(id);
  const title = visit ? visitTitle(visit) : 'this visit';
  if (!window.confirm(`End the visit of ${title} now?\n\nReason: ${reason}\n\nEveryone in the visit is disconnected at once.`)) {
    say('The visit was not ended.');
    return;
  }
  showError('');
  const response = await postJson(`/api/visits/${encodeURIComponent(id)}/terminate`, { reason });
  if (response.status !== 200) {
    showError('The visit was not ended: ' + await refusalText(response));
    return;
  }
  li.querySelector('.end-reason').value = '';
  li.querySelector('.end-form').hidden = true;
  if (taps.open?.visitId === id) await taps.stop(true);
  say(`The visit of ${title} was ended.`);
}

async function toggleTap(id) {
  if (taps.open?.visitId === id) {
    await taps.stop();
    say('Stopped watching.');
    return;
  }
  await taps.start(id);
}

ui.tapStop.addEventListener('click', async () => {
  await taps.stop();
  say('Stopped watching.');
});

// ---- start ----

// A link with ?token= (the demo command prints one) signs in once; the token then leaves the address bar and history.
const saved = takeTokenFromAddress() || store.load();
if (saved && !signIn(saved)) store.forget();
