// The /review page: investigators search recordings, play the review copy, jump to bookmarks, verify, download and set a
// legal hold (README, "API notes"). Framework-free, like /visit: the server serves the page's files and common/, nothing else
// is loaded. One recording's panel is review-detail.js; how things are written, review-format.js.
//
// The token lives in sessionStorage (this tab only). API calls send it as "Authorization: Bearer"; the <video> element and
// download links cannot, so their addresses carry it as ?access_token=, which the server accepts for exactly those three
// downloads (README, "API notes").
//
// Test hooks (read by tests/MediaServer.WebRtcTests): body[data-state] is no-token, ready, searching, loading or error;
// #detail[data-visit] and [data-recording-state] describe the open recording; #verify-result[data-ok] is "true" or "false".
import { ApiError, apiClient } from './common/api.js';
import { cleanToken, readClaims, tabStore, takeTokenFromAddress } from './common/auth.js';
import { $, sayIn, setState, showIn } from './common/page.js';
import { createDetail } from './review-detail.js';
import { describe, describeState, formatSpan, formatTime, person, visitorsText } from './review-format.js';

const store = tabStore('mediaserver.review.token');
const ui = {
  status: $('status'),
  error: $('error'),
  who: $('who'),
  tokenForm: $('token-form'),
  token: $('token'),
  tokenError: $('token-error'),
  tokenForget: $('token-forget'),
  searchSection: $('search-section'),
  searchForm: $('search-form'),
  searchButton: $('search-button'),
  inmate: $('inmate'),
  visitor: $('visitor'),
  from: $('from'),
  to: $('to'),
  flagged: $('flagged'),
  resultCount: $('result-count'),
  results: $('results'),
  resultTemplate: $('result-template'),
  detail: $('detail'),
  detailTitle: $('detail-title'),
  facts: $('facts'),
  player: $('player'),
  playerMessage: $('player-message'),
  renderProgress: $('render-progress'),
  bookmarks: $('bookmarks'),
  bookmarksEmpty: $('bookmarks-empty'),
  gaps: $('gaps'),
  gapsEmpty: $('gaps-empty'),
  verify: $('verify'),
  verifyResult: $('verify-result'),
  downloadMedia: $('download-media'),
  downloadMediaNone: $('download-media-none'),
  downloadJournal: $('download-journal'),
  downloadExport: $('download-export'),
  hold: $('hold'),
  holdText: $('hold-text'),
};

const state = {
  token: '',
  // The recording on screen: { id, summary, manifest } — summary as in the list, manifest as signed (or null).
  open: null,
  // The token's role as it claims (the server decides): only an admin may release a legal hold.
  role: '',
  pollTimer: 0,
  // Bumped whenever another recording is opened, so a late answer for the previous one is dropped.
  generation: 0,
};

// ---- Small helpers ----------------------------------------------------------------------------------------------------

const say = sayIn(ui.status);
const showError = (text) => {
  showIn(ui.error)(text);
  if (text) setState('error');
};
const clear = (element) => element.replaceChildren();

const client = apiClient({ token: () => state.token });

// Addresses for <video> and links: the token rides in the query because neither can send a header.
const downloadUrl = (id, what) =>
  `/api/recordings/${encodeURIComponent(id)}/${what}?access_token=${encodeURIComponent(state.token)}`;

const fail = (e) => {
  showError(e instanceof ApiError ? describe(e) : `Something went wrong on this page: ${e.message}`);
  say('');
  if (e instanceof ApiError && e.status === 401) {
    ui.token.focus();
  }
};

const detail = createDetail({ ui, state, call: client.call, send: client.send, say, showError, fail, setState, clear, downloadUrl });

// ---- Token --------------------------------------------------------------------------------------------------------------

const useToken = (token, announce) => {
  const claims = readClaims(token);
  if (!claims) {
    ui.tokenError.textContent = 'That does not look like a token: a token is three parts separated by dots.';
    ui.tokenError.hidden = false;
    ui.token.setAttribute('aria-invalid', 'true');
    return false;
  }
  ui.tokenError.hidden = true;
  ui.token.removeAttribute('aria-invalid');
  state.token = token;
  store.save(token);
  const role = claims.role || 'unknown role';
  state.role = claims.role || '';
  const expires = claims.exp ? ` · expires ${formatTime(new Date(claims.exp * 1000).toISOString())}` : '';
  ui.who.textContent = `${claims.sub || 'unknown'} (${role})${expires}`;
  ui.who.hidden = false;
  ui.searchSection.hidden = false;
  showError('');
  setState('ready');
  if (role !== 'investigator' && role !== 'admin') {
    showError(`This token's role is "${role}"; the server only shows recordings to investigators and admins.`);
  }
  if (announce) say('Token set. Search for recordings below.');
  return true;
};

const forgetToken = () => {
  state.token = '';
  store.forget();
  ui.token.value = '';
  ui.who.hidden = true;
  ui.searchSection.hidden = true;
  detail.close();
  clear(ui.results);
  ui.resultCount.textContent = '';
  showError('');
  setState('no-token');
  say('Token forgotten.');
};

// ---- Search -------------------------------------------------------------------------------------------------------------

// datetime-local has no zone: it is the browser's local time, sent to the server as an instant.
const localToIso = (value) => {
  if (!value) return '';
  const d = new Date(value);
  return Number.isNaN(d.getTime()) ? '' : d.toISOString();
};

const search = async () => {
  const query = new URLSearchParams();
  const add = (name, value) => { if (value) query.set(name, value); };
  add('inmate', ui.inmate.value.trim());
  add('visitor', ui.visitor.value.trim());
  add('from', localToIso(ui.from.value));
  add('to', localToIso(ui.to.value));
  add('flagged', ui.flagged.value);
  setState('searching');
  showError('');
  say('Searching…');
  ui.searchButton.disabled = true;
  try {
    const list = await client.call('GET', `/api/recordings?${query}`);
    renderResults(list);
    setState('ready');
    say('');
  } catch (e) {
    fail(e);
  } finally {
    ui.searchButton.disabled = false;
  }
};

const renderResults = (list) => {
  clear(ui.results);
  ui.resultCount.textContent = list.length === 1 ? '1 recording.' : `${list.length} recordings.`;
  for (const r of list) {
    const item = ui.resultTemplate.content.firstElementChild.cloneNode(true);
    const button = item.querySelector('button');
    button.dataset.visit = r.visit;
    item.querySelector('.result-title').textContent = `Visit ${r.visit}`;
    item.querySelector('.result-parties').textContent = `${person(r.inmate)} with ${visitorsText(r.visitors)}`;
    const flags = (r.flags || []).length;
    const parts = [
      formatTime(r.start),
      `duration ${formatSpan(r.durationSeconds)}`,
      describeState(r.state),
      flags === 1 ? '1 bookmark' : `${flags} bookmarks`,
    ];
    if (r.flagged) parts.push('flagged visit');
    if (r.hold) parts.push('on legal hold');
    item.querySelector('.result-meta').textContent = parts.join(' · ');
    button.addEventListener('click', () => detail.open(r.visit));
    ui.results.appendChild(item);
  }
};

// ---- Wiring -------------------------------------------------------------------------------------------------------------

ui.tokenForm.addEventListener('submit', (event) => {
  event.preventDefault();
  if (useToken(cleanToken(ui.token.value), true) && state.open) detail.open(state.open.id);
});
ui.tokenForget.addEventListener('click', forgetToken);
ui.searchForm.addEventListener('submit', (event) => {
  event.preventDefault();
  if (!state.token) {
    showError('Paste your token first.');
    return;
  }
  search();
});
ui.verify.addEventListener('click', detail.verify);
ui.hold.addEventListener('click', detail.toggleHold);
ui.player.addEventListener('error', detail.explainPlayerError);

// A link with ?token= (the demo command prints one) is used once; the token then leaves the address bar and history.
const fromAddress = takeTokenFromAddress();
const saved = fromAddress || store.load();
if (saved) {
  ui.token.value = saved;
  useToken(saved, Boolean(fromAddress));
  say('Using the token from this tab. Search for recordings below.');
} else {
  setState('no-token');
}
