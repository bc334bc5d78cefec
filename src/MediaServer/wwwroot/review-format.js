// How the /review page writes times, spans, people, states and refusals.
import { clock } from './common/page.js';

const two = (n) => String(n).padStart(2, '0');

/** Local date and time with the offset written out, so a time read aloud in court is unambiguous. */
export const formatTime = (iso) => {
  if (!iso) return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return String(iso);
  const offset = -d.getTimezoneOffset();
  const sign = offset >= 0 ? '+' : '−';
  const abs = Math.abs(offset);
  return `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())} ${two(d.getHours())}:${two(d.getMinutes())}:`
    + `${two(d.getSeconds())} (UTC${sign}${two(Math.floor(abs / 60))}:${two(abs % 60)})`;
};

/** Seconds as h:mm:ss or m:ss, cut to the whole second (as the clock times are); '—' when unknown. */
export const formatSpan = (seconds) =>
  (seconds === null || seconds === undefined || Number.isNaN(seconds) ? '—' : clock(seconds));

export const person = (p) => (p ? (p.name ? `${p.name} (${p.id})` : p.id) : '—');

export const visitorsText = (visitors) => (visitors && visitors.length ? visitors.map(person).join(', ') : 'no visitors');

const stateWords = {
  recording: 'Recording now',
  sealed: 'Sealed, waiting for its review copy',
  rendered: 'Ready',
  render_failed: 'No review copy (rendering failed)',
  failed: 'Recording failed',
  purged: 'Purged',
};
export const describeState = (name) => stateWords[name] || name;

/** Plain words for a refusal (an ApiError from common/api.js); the server's own detail follows when it gave one. */
export const describe = (error) => {
  if (error.status === 0) {
    return `Could not reach the server (${error.detail}). Check the network and try again.`;
  }
  const detail = error.detail || error.title;
  const base = {
    401: 'The server refused the token (401): it is missing, expired, or not issued by this server. Paste a fresh investigator token.',
    403: 'This token may not open recordings (403): it needs the investigator or admin role.',
    404: 'No such recording (404): it does not exist or has been purged.',
    409: 'Not available (409).',
  }[error.status] || `The server answered ${error.status}.`;
  return detail && !base.includes(detail) ? `${base} ${detail}` : base;
};
