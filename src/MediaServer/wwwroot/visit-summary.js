// When a visit ends, tells the family (or the inmate at the kiosk) what the server saw of their visit: how long it lasted and
// how often the connection dropped ("Your visit lasted 28 min 40 s; the connection dropped twice, 12 s in all."), from
// GET /api/visits/{id}/summary with the page's own join code: the server's figures, never the page's.
//
// It hooks in from outside visit.js: it watches body[data-state] (common/page.js setState), keeps the join code the page
// keeps for the tab (visit-recovery.js) while the visit is on, and fetches the summary once the state is "ended".
// Test hook: #visit-summary[data-reconnects][data-seconds] once shown.
import { readClaims } from './common/auth.js';
import { keptToken } from './visit-recovery.js';

let token = '';
let shownFor = '';

/** "28 min 40 s", "12 s", "1 h 5 min". */
export function spoken(seconds) {
  const total = Math.max(0, Math.round(seconds));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  if (h > 0) return m > 0 ? `${h} h ${m} min` : `${h} h`;
  if (m > 0) return s > 0 ? `${m} min ${s} s` : `${m} min`;
  return `${s} s`;
}

const TIMES = ['', 'once', 'twice'];

/** The sentence for a summary, or '' when this party never joined. */
export function summaryText(summary, now = Date.now()) {
  const you = summary.you;
  if (!you || !you.firstJoinedAt) return '';
  const until = you.lastLeftAt || summary.endedAt;
  const seconds = ((until ? Date.parse(until) : now) - Date.parse(you.firstJoinedAt)) / 1000;
  const drops = you.reconnects === 0
    ? 'the connection held throughout.'
    : `the connection dropped ${TIMES[you.reconnects] || you.reconnects + ' times'}, ${spoken(you.reconnectSeconds)} in all.`;
  return `Your visit lasted ${spoken(seconds)}; ${drops}`;
}

async function show() {
  const claims = token && readClaims(token);
  if (!claims || !claims.visit || shownFor === token) return;
  shownFor = token;
  let summary;
  try {
    const response = await fetch(`/api/visits/${encodeURIComponent(claims.visit)}/summary`, {
      cache: 'no-store', headers: { Authorization: `Bearer ${token}`, Accept: 'application/json' },
    });
    if (!response.ok) return; // no summary (the code expired): the ended notice says enough
    summary = await response.json();
  } catch {
    return;
  }
  const text = summaryText(summary);
  const ended = document.getElementById('ended');
  if (!text || !ended || document.body.dataset.state !== 'ended') return;
  let line = document.getElementById('visit-summary');
  if (!line) {
    line = document.createElement('p');
    line.id = 'visit-summary';
    line.className = 'summary';
    const detail = ended.querySelector('#ended-detail');
    if (detail) detail.after(line);
    else ended.append(line);
  }
  line.dataset.reconnects = String(summary.you.reconnects);
  line.dataset.seconds = String(summary.you.reconnectSeconds);
  line.textContent = text;
}

function onState() {
  const state = document.body.dataset.state;
  if (state === 'ended') {
    show();
    return;
  }
  document.getElementById('visit-summary')?.remove();
  const kept = keptToken();
  if (kept) {
    if (kept !== token) shownFor = '';
    token = kept;
  }
}

new MutationObserver(onState).observe(document.body, { attributes: true, attributeFilter: ['data-state'] });
