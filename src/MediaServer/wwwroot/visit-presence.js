// What the /visit page says about time and about the people on it (docs/api.md, "GET …/roster"): when the visit opens and
// ends in the family's own local time, a countdown by the server's clock, a warning five and one minute before the end, and
// this party's microphone and camera told to the server so the others' tiles can say "Muted" and "Camera is off". And,
// first of all, that a page opened over plain http:// cannot have the camera and microphone.
import { trackOf } from './visit-device.js';

const WARNINGS = [
  { ms: 60_000, text: 'One minute left in this visit.' },
  { ms: 5 * 60_000, text: 'Five minutes left in this visit.' },
];

const clockTime = new Intl.DateTimeFormat(undefined, { hour: 'numeric', minute: '2-digit' });

/** "12 min left", "45 s left": what is left of <c>ms</c>, rounded up so the last minute never reads "0 min". */
export function leftWords(ms) {
  if (ms < 60_000) {
    return `${Math.max(0, Math.ceil(ms / 1000))} s left`;
  }
  return `${Math.ceil(ms / 60_000)} min left`;
}

/** The warning due when <c>ms</c> are left (the nearest one passed), or null before five minutes are left. */
export function warningFor(ms) {
  const due = WARNINGS.find((w) => ms <= w.ms);
  return ms > 0 && due ? due.text : null;
}

/**
 * The clock and device state of one page. <c>seen(roster)</c> after every roster; <c>report()</c> when this party changes its
 * microphone or camera; <c>stop()</c> when the visit is over. <c>deps</c>: send(path, options), stream(), claims(), legUrl().
 */
export function createPresence(ui, deps) {
  // Browsers give camera and microphone only to secure pages (https://, or this machine itself): say so before anything else.
  ui.insecure.hidden = window.isSecureContext !== false;
  let schedule = null; // { start, end, offset } in epoch ms; offset: server clock minus this device's
  let timer = 0;
  let warned = '';

  function tick() {
    if (!schedule) {
      return;
    }
    const now = Date.now() + schedule.offset;
    const opens = clockTime.format(new Date(schedule.start));
    const ends = clockTime.format(new Date(schedule.end));
    ui.clock.textContent = now < schedule.start ? `Opens at ${opens} · ends at ${ends}` : `Ends at ${ends} · ${leftWords(schedule.end - now)}`;
    ui.clock.hidden = false;
    const warning = now >= schedule.start ? warningFor(schedule.end - now) : null;
    if (warning && warning !== warned) {
      warned = warning;
      ui.timeWarning.textContent = warning;
      ui.timeWarning.hidden = false;
    }
  }

  function local() {
    const audio = trackOf(deps.stream(), 'audio');
    const video = trackOf(deps.stream(), 'video');
    return { microphone: !audio || audio.enabled, camera: !video || video.enabled };
  }

  async function report() {
    const leg = deps.legUrl();
    if (!leg) {
      return;
    }
    try {
      await deps.send(`${leg}/devices`, { method: 'PUT', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(local()) });
    } catch {
      // Not heard: the next roster that disagrees sends it again.
    }
  }

  /** The facility may keep the kiosk from muting (roster.kioskMayMute): its buttons go, and its tracks stay on. */
  function applyKioskRule(roster) {
    const claims = deps.claims();
    const forbidden = !!claims && claims.role === 'kiosk' && roster.kioskMayMute === false;
    ui.mute.hidden = ui.camera.hidden = forbidden;
    if (forbidden) {
      for (const track of deps.stream() ? deps.stream().getTracks() : []) {
        track.enabled = true;
      }
    }
  }

  return {
    seen(roster) {
      const start = Date.parse(roster.start);
      const end = Date.parse(roster.end);
      const now = Date.parse(roster.now);
      if (Number.isFinite(start) && Number.isFinite(end) && Number.isFinite(now)) {
        schedule = { start, end, offset: now - Date.now() };
        tick();
        timer = timer || setInterval(tick, 1000);
      }
      applyKioskRule(roster);
      const you = (Array.isArray(roster.parties) ? roster.parties : []).find((p) => p.you);
      const state = local();
      if (you && you.microphone != null && (you.microphone !== state.microphone || you.camera !== state.camera)) {
        report(); // a new leg starts with both on, and a lost PUT is sent again
      }
    },
    report,
    stop() {
      clearInterval(timer);
      timer = 0;
      ui.timeWarning.hidden = true;
    },
  };
}
