// The other parties of a visit on the /visit page: a tile per party that is sending, and the list of who is in the visit.
import { playOrPrompt } from './common/webrtc.js';

// A party whose packets stop for this long says "Reconnecting…" instead of showing a frozen frame...
const PARTY_STALL_MS = 1500;
// ...and for this long is no longer shown, unless the roster says someone is reconnecting (the server keeps the seat).
const PARTY_IDLE_MS = 6000;

/**
 * The tiles. Slot k of a kind (the k-th transceiver of that kind) carries party k: video slot k and audio slot k are one
 * person. <c>label(index)</c> names a party; <c>ui</c> holds tiles, waiting, soundPrompt and tileTemplate.
 */
export function createTiles(ui, label) {
  let parties = [];
  let holding = false;

  function partyFor(pc, transceiver, kind) {
    const sameKind = pc.getTransceivers().filter((t) => t.receiver.track.kind === kind);
    const index = sameKind.indexOf(transceiver);
    let party = parties[index];
    if (!party) {
      const tile = ui.tileTemplate.content.firstElementChild.cloneNode(true);
      party = {
        index,
        tile,
        video: tile.querySelector('video'),
        noVideo: tile.querySelector('.no-video'),
        mutedBadge: tile.querySelector('.muted-badge'),
        reconnecting: tile.querySelector('.reconnecting'),
        stream: new MediaStream(),
        mids: { video: null, audio: null },
        lastPackets: 0,
        lastChange: 0,
        active: false,
      };
      tile.querySelector('figcaption').textContent = label(index);
      party.video.setAttribute('aria-label', `Video of ${label(index)}`);
      party.video.srcObject = party.stream;
      parties[index] = party;
      ui.tiles.appendChild(tile);
    }
    party.mids[kind] = transceiver.mid;
    return party;
  }

  function setStalled(party, stalled) {
    if (party.reconnecting) {
      party.reconnecting.hidden = !stalled;
    }
    party.tile.classList.toggle('stalled', stalled);
  }

  function layout() {
    const shown = parties.filter((p) => p && p.active).length;
    ui.waiting.hidden = shown > 0;
    ui.tiles.classList.toggle('many', shown > 1);
  }

  function setActive(party, active) {
    if (party.active === active) {
      return;
    }
    party.active = active;
    party.lastChange = performance.now();
    party.tile.hidden = !active;
    if (active) {
      // Autoplay with sound was refused (no user gesture yet): show the picture muted and offer a button for sound.
      playOrPrompt(party.video, (video) => {
        video.muted = true;
        video.play().catch(() => {});
        ui.soundPrompt.hidden = false;
      });
    }
    layout();
  }

  return {
    attach(pc, transceiver, track) {
      const party = partyFor(pc, transceiver, track.kind);
      party.stream.addTrack(track);
      // 'unmute' fires when the first RTP packet arrives for the track: that is when there is someone to show.
      track.addEventListener('unmute', () => setActive(party, true));
      if (!track.muted) {
        setActive(party, true);
      }
    },

    /** Shows a party whose packet count moved and hides one silent for PARTY_IDLE_MS (packet counts by mid, from getStats). */
    noteTraffic(packetsByMid) {
      const now = performance.now();
      for (const party of parties) {
        if (!party) {
          continue;
        }
        const packets = (packetsByMid.get(party.mids.video) || 0) + (packetsByMid.get(party.mids.audio) || 0);
        const silent = now - (party.lastSeen || party.lastChange);
        if (packets !== party.lastPackets) {
          party.lastPackets = packets;
          party.lastSeen = now;
          setStalled(party, false);
          setActive(party, true);
        } else if (party.active && silent > PARTY_IDLE_MS && !holding) {
          setStalled(party, false);
          setActive(party, false);
        } else if (party.active && silent > PARTY_STALL_MS) {
          setStalled(party, true);
        }
      }
    },

    /**
     * Names each tile after the party the roster says its slot carries, and shows what that party says of its devices:
     * "Camera is off" over its picture, "Muted" on its tile.
     */
    describe(roster) {
      for (const other of Array.isArray(roster.parties) ? roster.parties : []) {
        const party = !other.you && Number.isInteger(other.slot) ? parties[other.slot] : null;
        if (!party) {
          continue;
        }
        const name = String(other.name || label(party.index));
        party.tile.querySelector('figcaption').textContent = name;
        party.video.setAttribute('aria-label', `Video of ${name}`);
        party.noVideo.hidden = other.camera !== false;
        party.mutedBadge.hidden = other.microphone !== false;
        party.tile.classList.toggle('camera-off', other.camera === false);
      }
    },

    /** Whether the roster says another party is reconnecting: silent tiles then stay, saying "Reconnecting…". */
    hold(reconnecting) {
      holding = reconnecting;
    },

    unmuteAll() {
      for (const party of parties) {
        if (party) {
          party.video.muted = false;
          party.video.play().catch(() => {});
        }
      }
      ui.soundPrompt.hidden = true;
    },

    clear() {
      for (const party of parties) {
        if (party) {
          party.tile.remove();
        }
      }
      parties = [];
      ui.waiting.hidden = false;
      ui.tiles.classList.remove('many');
      ui.soundPrompt.hidden = true;
    },
  };
}

/** How a tile names party <c>index</c> until the roster names it: a visitor sees the facility first, then other visitors. */
export function partyLabel(claims, index) {
  const visitor = claims && claims.role === 'visitor';
  if (visitor && index === 0) {
    return 'Facility';
  }
  return visitor ? 'Another visitor' : `Visitor ${index + 1}`;
}

// ---- Who is in the visit ---------------------------------------------------------------------------------------------

const STATE_WORDS = {
  waiting: 'not joined yet',
  connecting: 'joining',
  connected: 'connected',
  reconnecting: 'reconnecting…',
  left: 'left',
  closed: 'disconnected',
};

function mediaWords(party) {
  if (party.state !== 'connecting' && party.state !== 'connected') {
    return '';
  }
  if (party.sends && party.receives) {
    return 'sends and receives';
  }
  if (party.receives) {
    return 'only receives';
  }
  return party.sends ? 'only sends' : 'sends and receives nothing';
}

/** Shows every party of the visit (GET /api/visits/{id}/roster), so each one sees who can see and hear them. */
function showRoster(ui, roster) {
  window.visitRoster = roster;
  const items = [];
  for (const party of Array.isArray(roster.parties) ? roster.parties : []) {
    const item = document.createElement('li');
    item.dataset.state = String(party.state || '');
    item.dataset.role = String(party.role || '');
    const name = document.createElement('span');
    name.className = 'name';
    name.textContent = String(party.name || '') + (party.you ? ' (you)' : '');
    const detail = document.createElement('span');
    detail.className = 'detail';
    const words = [STATE_WORDS[party.state] || String(party.state || ''), mediaWords(party),
      party.microphone === false ? 'muted' : '', party.camera === false ? 'camera off' : ''].filter(Boolean);
    detail.textContent = words.join(', ');
    item.append(name, ' ', detail);
    items.push(item);
  }
  ui.rosterList.replaceChildren(...items);
  ui.roster.hidden = items.length === 0;
}

/** Asks for the roster now and every <c>intervalMs</c> while <c>current()</c>, shows it and hands it to <c>seen</c>; returns the timer. */
export function pollRoster(ui, fetchRoster, current, intervalMs, seen = () => {}) {
  const refresh = async () => {
    if (!current()) {
      return;
    }
    try {
      const response = await fetchRoster();
      if (response.ok && current()) {
        const roster = await response.json();
        showRoster(ui, roster);
        seen(roster);
      }
    } catch {
      // A lost request: the next tick asks again.
    }
  };
  refresh();
  return setInterval(refresh, intervalMs);
}
