// The officer console's timeline panel for one live visit: what the server observed of each party (joins, media, quality,
// drops and their causes, departures) from GET /api/visits/{id}/timeline, refreshed every 5 s while it is open.
//
// Test hooks: the panel is li .timeline[data-state] (closed, loading, shown, refused); each entry is an li with data-kind,
// data-participant and data-cause; each party's totals an li.timeline-party with data-participant, data-reconnects.
import { clock } from './common/page.js';

const REFRESH_MS = 5000;

const CAUSES = {
  'consent-lost': 'connection lost', 'ice-restart': 'network changed', 'page-reload': 'page reloaded', 'media-stalled': 'no picture or sound',
  'server-restart': 'server restarted',
};
const ENDERS = {
  party: 'left', officer: 'ended by an officer', 'scheduled-end': 'scheduled end', 'server-fault': 'server fault',
  network: 'connection lost', silence: 'sent nothing',
};

/** The words for one entry (quality samples excepted: they show as the party's latest figures). */
function describe(entry) {
  switch (entry.kind) {
    case 'scheduled': return `Scheduled: ${entry.detail || ''}`;
    case 'token-used': return 'Used the join code';
    case 'joined': return `Joined (${entry.transport || '?'}${entry.codecs && entry.codecs.length ? ', ' + entry.codecs.join(' ') : ''})`;
    case 'media-in': return 'Media arriving from the party';
    case 'media-out': return 'Media reaching the party';
    case 'reconnecting': return `Reconnecting (${CAUSES[entry.cause] || entry.cause})`;
    case 'reconnected': return `Back after ${entry.seconds ?? '?'} s (${CAUSES[entry.cause] || entry.cause})`;
    case 'left': return `Gone: ${ENDERS[entry.by] || entry.by || ''}${entry.detail ? ' — ' + entry.detail : ''}`;
    case 'ended': return `Visit ended${entry.detail ? ': ' + entry.detail : ''}`;
    case 'truncated': return 'Timeline full: later entries are not kept';
    default: return entry.kind;
  }
}

function qualityText(q) {
  const rtt = q.roundTripMs == null ? '' : `, ${Math.round(q.roundTripMs)} ms round trip`;
  return `${q.lossPercent}% loss, ${q.jitterMs} ms jitter${rtt}, ${Math.round(q.bitrateInKbps)}/${Math.round(q.bitrateOutKbps)} kbit/s in/out`;
}

/** <c>api</c> the console's client; <c>onError(text)</c> shows a failure. */
export function createTimelines({ api, onError }) {
  const open = new Map(); // visit id → refresh timer

  async function load(id, panel) {
    panel.dataset.state = panel.dataset.state === 'shown' ? 'shown' : 'loading';
    let response;
    try {
      response = await api.send(`/api/visits/${encodeURIComponent(id)}/timeline`, { headers: { Accept: 'application/json' } });
    } catch {
      return; // unreachable for a moment: the next refresh tries again
    }
    if (!response.ok) {
      panel.dataset.state = 'refused';
      onError(`The timeline could not be read (HTTP ${response.status}).`);
      return;
    }
    render(panel, await response.json());
    panel.dataset.state = 'shown';
  }

  function render(panel, timeline) {
    const names = new Map(timeline.parties.map((p) => [p.participant, p.name]));
    const latest = new Map();
    for (const entry of timeline.entries) {
      if (entry.kind === 'quality' && entry.quality) latest.set(entry.participant, entry.quality);
    }
    const parties = timeline.parties.map((p) => {
      const li = document.createElement('li');
      li.className = 'timeline-party';
      li.dataset.participant = p.participant;
      li.dataset.reconnects = String(p.reconnects);
      const drops = p.reconnects === 0 ? 'no drops' : `${p.reconnects} drop${p.reconnects === 1 ? '' : 's'}, ${Math.round(p.reconnectSeconds)} s in all`;
      const q = latest.get(p.participant);
      li.textContent = `${p.name}: media both ways ${clock(p.mediaSeconds)}; ${drops}${p.reconnecting ? '; reconnecting now' : ''}`
        + (q ? `; ${qualityText(q)}` : '');
      return li;
    });
    const entries = timeline.entries.filter((e) => e.kind !== 'quality').slice(-60).map((entry) => {
      const li = document.createElement('li');
      li.dataset.kind = entry.kind;
      if (entry.participant) li.dataset.participant = entry.participant;
      if (entry.cause) li.dataset.cause = entry.cause;
      const who = entry.participant ? `${names.get(entry.participant) || entry.participant}: ` : '';
      const time = document.createElement('time');
      time.dateTime = entry.at;
      time.textContent = new Date(entry.at).toLocaleTimeString();
      li.append(time, ` ${who}${describe(entry)}`);
      return li;
    });
    panel.querySelector('.timeline-parties').replaceChildren(...parties);
    panel.querySelector('.timeline-entries').replaceChildren(...entries);
    panel.querySelector('.timeline-truncated').hidden = !timeline.truncated;
  }

  function toggle(id, li) {
    const panel = li.querySelector('.timeline');
    const button = li.querySelector('.timeline-button');
    if (open.has(id)) {
      clearInterval(open.get(id));
      open.delete(id);
      panel.hidden = true;
      panel.dataset.state = 'closed';
      button.setAttribute('aria-expanded', 'false');
      return;
    }
    panel.hidden = false;
    button.setAttribute('aria-expanded', 'true');
    load(id, panel);
    open.set(id, setInterval(() => {
      if (!li.isConnected) {
        clearInterval(open.get(id));
        open.delete(id);
        return;
      }
      load(id, panel);
    }, REFRESH_MS));
  }

  /** Wires the timeline button of a visit's list item. */
  function attach(li, id) {
    li.querySelector('.timeline-button').addEventListener('click', () => toggle(id, li));
  }

  return { attach };
}
