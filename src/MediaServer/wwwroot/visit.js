// The /visit page: joins a visit with a WebRTC offer (docs/api.md, "POST /api/visits/{id}/join"), shows the other parties and
// says clearly why a visit ended. Framework-free on purpose: kiosks and old phones load it from the server with no network beyond.
//
// Test hooks (read by tests/MediaServer.WebRtcTests): window.visitPc is the live RTCPeerConnection, window.visitTimings the
// join timeline in performance.now() milliseconds (and epoch milliseconds for comparing two pages), window.visitRoster the
// last roster the server sent.
//
// The server binds a join code to the first device that joins with it. This page proves it is that device with a random
// secret it keeps in the browser's storage (one per join code), sent as the Client-Instance header on every request, so
// reloading the page or changing network keeps the visit, while a copy of the code on another device is refused.
'use strict';

(() => {
  // Slots beyond the first sendrecv pair: docs/api.md lets a join carry up to four further parties on recvonly pairs.
  const EXTRA_PARTIES = 4;
  // The server is ICE-lite and never trickles, so the offer must carry our candidates; wait this long for gathering at most.
  const GATHER_TIMEOUT_MS = 2000;
  // ICE 'disconnected' can be a short blip; longer than this and the visit is treated as over.
  const DISCONNECT_GRACE_MS = 5000;
  const STATS_INTERVAL_MS = 2000;
  const FIRST_FRAME_POLL_MS = 50;
  // A party whose packets stop for this long is no longer shown.
  const PARTY_IDLE_MS = 6000;
  // One automatic re-join after a lost connection tells "the facility ended it" (410) from a network blip (201, reconnected).
  // Bounded, so two devices sharing one join code cannot keep taking the leg from each other.
  const AUTO_REJOIN_MIN_INTERVAL_MS = 120000;
  // How often the list of who is in the visit is refreshed while connected.
  const ROSTER_INTERVAL_MS = 3000;
  const INSTANCE_KEY_PREFIX = 'visit.client.';

  const $ = (id) => document.getElementById(id);
  const ui = {
    status: $('status'),
    quality: $('quality'),
    qualityText: $('quality-text'),
    join: $('join'),
    form: $('join-form'),
    token: $('token'),
    tokenError: $('token-error'),
    joinButton: $('join-button'),
    call: $('call'),
    tiles: $('tiles'),
    waiting: $('waiting'),
    selfView: $('self-view'),
    soundPrompt: $('sound-prompt'),
    sound: $('sound'),
    mute: $('mute'),
    camera: $('camera'),
    leave: $('leave'),
    ended: $('ended'),
    endedTitle: $('ended-title'),
    endedDetail: $('ended-detail'),
    rejoin: $('rejoin'),
    tileTemplate: $('tile-template'),
    roster: $('roster'),
    rosterList: $('roster-list'),
  };

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
    parties: [],
    lastStats: null,
    instance: '',
    rosterTimer: 0,
  };

  window.visitPc = null;
  window.visitTimings = null;
  window.visitRoster = null;

  function setState(state) {
    document.body.dataset.state = state;
  }

  function say(text) {
    ui.status.textContent = text;
  }

  // --- Join code ---------------------------------------------------------------------------------------------------

  /** Reads the claims of a JWT (RFC 7519 §7.2 steps 1–7, without verifying: the server does that). Null when it is not one. */
  function readClaims(token) {
    const parts = token.split('.');
    if (parts.length !== 3) {
      return null;
    }
    try {
      const base64 = parts[1].replace(/-/g, '+').replace(/_/g, '/');
      const padded = base64 + '='.repeat((4 - (base64.length % 4)) % 4);
      const bytes = Uint8Array.from(atob(padded), (c) => c.charCodeAt(0));
      const claims = JSON.parse(new TextDecoder().decode(bytes));
      return claims && typeof claims === 'object' ? claims : null;
    } catch {
      return null;
    }
  }

  function showTokenError(text) {
    ui.tokenError.textContent = text;
    ui.tokenError.hidden = false;
    ui.token.setAttribute('aria-invalid', 'true');
    ui.token.focus();
  }

  function acceptToken(raw) {
    const token = raw.replace(/\s+/g, '');
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

  // --- This device --------------------------------------------------------------------------------------------------

  function storageOf(name) {
    try {
      const store = window[name];
      return store && typeof store.getItem === 'function' ? store : null;
    } catch {
      return null; // Storage disabled (privacy settings): the secret then lives as long as the page.
    }
  }

  /** 24 random bytes in base64url (RFC 4648 §5): 32 characters, what the server asks of a Client-Instance. */
  function newInstance() {
    const bytes = crypto.getRandomValues(new Uint8Array(24));
    return btoa(String.fromCharCode(...bytes)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
  }

  /**
   * The secret that makes this browser the device a join code is bound to. localStorage keeps it across reloads, closed
   * tabs and network changes (sessionStorage when localStorage is unavailable); it is kept per join code (its jti).
   */
  function clientInstance() {
    if (session.instance) {
      return session.instance;
    }
    const id = session.claims && typeof session.claims.jti === 'string' ? session.claims.jti : 'code';
    const key = INSTANCE_KEY_PREFIX + id;
    for (const store of [storageOf('localStorage'), storageOf('sessionStorage')]) {
      if (!store) {
        continue;
      }
      try {
        let value = store.getItem(key);
        if (!value) {
          value = newInstance();
          store.setItem(key, value);
        }
        session.instance = value;
        return value;
      } catch {
        // Full or refused: try the next store.
      }
    }
    session.instance = newInstance();
    return session.instance;
  }

  function authHeaders(extra) {
    return Object.assign({ 'Authorization': `Bearer ${session.token}`, 'Client-Instance': clientInstance() }, extra || {});
  }

  // --- Camera and microphone -----------------------------------------------------------------------------------------

  async function openMedia() {
    if (session.stream) {
      return session.stream;
    }
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      return null;
    }
    const attempts = [
      { audio: true, video: { width: { ideal: 1280 }, height: { ideal: 720 }, facingMode: 'user' } },
      { audio: true, video: false },
      { audio: false, video: true },
    ];
    for (const constraints of attempts) {
      try {
        return await navigator.mediaDevices.getUserMedia(constraints);
      } catch (error) {
        if (error && error.name === 'NotAllowedError') {
          break; // Asking again with fewer devices will not change the person's answer.
        }
      }
    }
    return null;
  }

  function localTrack(kind) {
    return session.stream ? session.stream.getTracks().find((t) => t.kind === kind) || null : null;
  }

  // --- Joining -------------------------------------------------------------------------------------------------------

  function waitForGathering(pc) {
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
      const timer = setTimeout(done, GATHER_TIMEOUT_MS);
      pc.addEventListener('icegatheringstatechange', check);
    });
  }

  function createPeerConnection() {
    // The server answers with BUNDLE and rtcp-mux (docs/api.md, "SDP rules for join and tap"): ask for both so every slot rides one transport.
    const pc = new RTCPeerConnection({ bundlePolicy: 'max-bundle', rtcpMuxPolicy: 'require' });
    const video = localTrack('video');
    const audio = localTrack('audio');
    const streams = session.stream ? [session.stream] : [];
    // First pair: we send ourselves and receive the first other party (the kiosk, for a visitor).
    pc.addTransceiver(video || 'video', { direction: 'sendrecv', streams });
    pc.addTransceiver(audio || 'audio', { direction: 'sendrecv', streams });
    for (let i = 0; i < EXTRA_PARTIES; i++) {
      pc.addTransceiver('video', { direction: 'recvonly' });
      pc.addTransceiver('audio', { direction: 'recvonly' });
    }
    return pc;
  }

  async function readProblem(response) {
    const type = response.headers.get('Content-Type') || '';
    if (type.includes('json')) {
      try {
        return await response.json();
      } catch {
        return {};
      }
    }
    return {};
  }

  /** Joins, or re-joins after a lost connection; returns true when media is being set up. */
  async function join({ afterLoss = false } = {}) {
    const generation = ++session.generation;
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

    const pc = createPeerConnection();
    session.pc = pc;
    session.parties = [];
    session.lastStats = null;
    clearTiles();
    window.visitPc = pc;
    const timings = { started: performance.now() };
    window.visitTimings = timings;
    wirePeerConnection(pc, generation);

    try {
      await pc.setLocalDescription(await pc.createOffer());
      await waitForGathering(pc);
    } catch (error) {
      if (generation === session.generation) {
        finish('This device cannot start a video call', String(error && error.message || error), {});
      }
      return false;
    }
    if (generation !== session.generation) {
      return false;
    }
    let response;
    try {
      timings.offerPostedAt = performance.now();
      response = await fetch(`/api/visits/${encodeURIComponent(session.claims.visit)}/join`, {
        method: 'POST',
        headers: authHeaders({ 'Content-Type': 'application/sdp' }),
        body: pc.localDescription.sdp,
        cache: 'no-store',
      });
    } catch (error) {
      if (generation === session.generation) {
        if (afterLoss) {
          finish('The visit has ended', 'The connection to the visit was lost.', { rejoin: true });
        } else {
          finish('Could not reach the visit', 'Please check your internet connection and try again.', { rejoin: true });
        }
      }
      return false;
    }
    if (generation !== session.generation) {
      return false;
    }
    if (response.status !== 201) {
      const problem = await readProblem(response);
      explainRefusal(response.status, problem);
      return false;
    }
    const location = response.headers.get('Location');
    session.legUrl = location ? new URL(location, window.location.href).href : null;
    const answer = await response.text();
    try {
      timings.remoteDescriptionAt = performance.now();
      timings.remoteDescriptionEpoch = Date.now();
      await pc.setRemoteDescription({ type: 'answer', sdp: answer });
    } catch (error) {
      finish('Could not start the visit', 'The server sent a call setup this device could not use.', { rejoin: true });
      return false;
    }
    setState('connecting');
    startRoster(generation);
    watchDtls(pc, generation);
    watchFirstFrame(pc, generation, timings);
    startStats(pc, generation);
    return true;
  }

  function explainRefusal(status, problem) {
    const detail = typeof problem.detail === 'string' ? problem.detail : '';
    switch (status) {
      case 410:
        if (/facility/i.test(detail)) {
          finish('The facility ended this visit', 'If you have questions about this visit, please contact the facility.', {});
        } else {
          finish('The visit has ended', detail, {});
        }
        return;
      case 401:
        finish('This join code does not work', 'It may have expired. Please ask for a new join code.', { newCode: true });
        return;
      case 403:
        finish('You cannot join this visit now', detail || 'The visit may not have started yet.', { rejoin: true, newCode: true });
        return;
      case 404:
        finish('This visit was not found', 'Please check your join code.', { newCode: true });
        return;
      case 409:
        finish('This join code is in use on another device', detail || 'Join from the device that first used it.', { rejoin: true, newCode: true });
        return;
      case 422:
        finish('This device cannot join this visit', detail || 'It does not support the video or sound format the others use.', {});
        return;
      case 501:
        finish('Joining from a web browser is not available yet', detail, {});
        return;
      default:
        finish('Could not join the visit', detail || `The server answered ${status}.`, { rejoin: true });
    }
  }

  // --- Connection --------------------------------------------------------------------------------------------------

  function wirePeerConnection(pc, generation) {
    const current = () => generation === session.generation && !session.ending;

    pc.addEventListener('track', (event) => {
      if (current()) {
        attachRemoteTrack(pc, event.transceiver, event.track);
      }
    });

    pc.addEventListener('connectionstatechange', () => {
      if (!current()) {
        return;
      }
      switch (pc.connectionState) {
        case 'connected':
          clearTimeout(session.disconnectTimer);
          session.disconnectTimer = 0;
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
      if (pc.iceConnectionState === 'disconnected') {
        startDisconnectTimer(pc, generation);
      } else if (pc.iceConnectionState === 'connected' || pc.iceConnectionState === 'completed') {
        clearTimeout(session.disconnectTimer);
        session.disconnectTimer = 0;
      } else if (pc.iceConnectionState === 'failed' || pc.iceConnectionState === 'closed') {
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
    clearTimeout(session.disconnectTimer);
    session.disconnectTimer = 0;
    clearInterval(session.statsTimer);
    session.statsTimer = 0;
    stopRoster();
    if (session.pc) {
      try {
        session.pc.close();
      } catch {
        // Already closed.
      }
    }
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
      try {
        await fetch(legUrl, { method: 'DELETE', headers: authHeaders() });
      } catch {
        // The server closes an abandoned leg on its own; leaving still succeeds here.
      }
    }
    session.legUrl = null;
    ui.leave.disabled = false;
    finish('You left the visit', 'Thank you. You can close this page.', { rejoin: true });
  }

  // --- Remote parties --------------------------------------------------------------------------------------------------

  function partyLabel(index) {
    if (session.claims && session.claims.role === 'visitor' && index === 0) {
      return 'Facility';
    }
    return session.claims && session.claims.role === 'visitor' ? 'Another visitor' : `Visitor ${index + 1}`;
  }

  /** Slot k of a kind (k-th transceiver of that kind) carries party k: video slot k and audio slot k are one person. */
  function partyFor(pc, transceiver, kind) {
    const sameKind = pc.getTransceivers().filter((t) => t.receiver.track.kind === kind);
    const index = sameKind.indexOf(transceiver);
    let party = session.parties[index];
    if (!party) {
      const tile = ui.tileTemplate.content.firstElementChild.cloneNode(true);
      party = {
        index,
        tile,
        video: tile.querySelector('video'),
        noVideo: tile.querySelector('.no-video'),
        stream: new MediaStream(),
        mids: { video: null, audio: null },
        lastPackets: 0,
        lastChange: 0,
        active: false,
      };
      tile.querySelector('figcaption').textContent = partyLabel(index);
      party.video.setAttribute('aria-label', `Video of ${partyLabel(index)}`);
      party.video.srcObject = party.stream;
      session.parties[index] = party;
      ui.tiles.appendChild(tile);
    }
    party.mids[kind] = transceiver.mid;
    return party;
  }

  function attachRemoteTrack(pc, transceiver, track) {
    const party = partyFor(pc, transceiver, track.kind);
    party.stream.addTrack(track);
    // 'unmute' fires when the first RTP packet arrives for the track: that is when there is someone to show.
    track.addEventListener('unmute', () => setPartyActive(party, true));
    if (!track.muted) {
      setPartyActive(party, true);
    }
  }

  function setPartyActive(party, active) {
    if (party.active === active) {
      return;
    }
    party.active = active;
    party.lastChange = performance.now();
    party.tile.hidden = !active;
    if (active) {
      playTile(party);
    }
    layoutTiles();
  }

  function playTile(party) {
    const played = party.video.play();
    if (played && typeof played.catch === 'function') {
      played.catch(() => {
        // Autoplay with sound was refused (no user gesture yet): show the picture muted and offer a button for sound.
        party.video.muted = true;
        party.video.play().catch(() => {});
        ui.soundPrompt.hidden = false;
      });
    }
  }

  function layoutTiles() {
    const shown = session.parties.filter((p) => p && p.active).length;
    ui.waiting.hidden = shown > 0;
    ui.tiles.classList.toggle('many', shown > 1);
  }

  function clearTiles() {
    for (const party of session.parties) {
      if (party) {
        party.tile.remove();
      }
    }
    session.parties = [];
    ui.waiting.hidden = false;
    ui.tiles.classList.remove('many');
    ui.soundPrompt.hidden = true;
  }

  // --- Who is in the visit --------------------------------------------------------------------------------------------

  const STATE_WORDS = {
    waiting: 'not joined yet',
    connecting: 'joining',
    connected: 'connected',
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
  function showRoster(roster) {
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
      const words = [STATE_WORDS[party.state] || String(party.state || ''), mediaWords(party)].filter(Boolean);
      detail.textContent = words.join(', ');
      item.append(name, ' ', detail);
      items.push(item);
    }
    ui.rosterList.replaceChildren(...items);
    ui.roster.hidden = items.length === 0;
  }

  async function refreshRoster(generation) {
    if (generation !== session.generation || !session.claims) {
      return;
    }
    try {
      const response = await fetch(`/api/visits/${encodeURIComponent(session.claims.visit)}/roster`, {
        headers: authHeaders(),
        cache: 'no-store',
      });
      if (response.ok && generation === session.generation) {
        showRoster(await response.json());
      }
    } catch {
      // A lost request: the next tick asks again.
    }
  }

  function startRoster(generation) {
    stopRoster();
    refreshRoster(generation);
    session.rosterTimer = setInterval(() => refreshRoster(generation), ROSTER_INTERVAL_MS);
  }

  function stopRoster() {
    clearInterval(session.rosterTimer);
    session.rosterTimer = 0;
  }

  // --- Statistics ------------------------------------------------------------------------------------------------------

  /** Records when the first remote video frame is decoded, measured from applying the answer (the late-join test reads it). */
  function watchFirstFrame(pc, generation, timings) {
    const poll = async () => {
      if (generation !== session.generation || pc.connectionState === 'closed') {
        return;
      }
      try {
        const report = await pc.getStats();
        let decoded = false;
        report.forEach((s) => {
          if (s.type === 'inbound-rtp' && s.kind === 'video' && s.framesDecoded > 0) {
            decoded = true;
          }
        });
        if (decoded) {
          timings.firstRemoteFrameAt = performance.now();
          timings.firstRemoteFrameEpoch = Date.now();
          return;
        }
      } catch {
        return;
      }
      setTimeout(poll, FIRST_FRAME_POLL_MS);
    };
    poll();
  }

  function startStats(pc, generation) {
    clearInterval(session.statsTimer);
    session.statsTimer = setInterval(async () => {
      if (generation !== session.generation || pc.connectionState === 'closed') {
        return;
      }
      try {
        updateQuality(await pc.getStats());
      } catch {
        // The connection closed between the check and the call.
      }
    }, STATS_INTERVAL_MS);
  }

  function updateQuality(report) {
    let received = 0;
    let lost = 0;
    let rtt = null;
    let remoteLoss = 0;
    const packetsByMid = new Map();
    let selectedPairId = null;
    report.forEach((s) => {
      if (s.type === 'transport' && s.selectedCandidatePairId) {
        selectedPairId = s.selectedCandidatePairId;
      }
    });
    report.forEach((s) => {
      if (s.type === 'inbound-rtp') {
        received += s.packetsReceived || 0;
        lost += Math.max(0, s.packetsLost || 0);
        packetsByMid.set(s.mid, s.packetsReceived || 0);
      } else if (s.type === 'remote-inbound-rtp' && typeof s.fractionLost === 'number') {
        remoteLoss = Math.max(remoteLoss, s.fractionLost);
      } else if (s.type === 'candidate-pair' && typeof s.currentRoundTripTime === 'number'
        && (s.id === selectedPairId || (selectedPairId === null && s.nominated))) {
        rtt = s.currentRoundTripTime;
      }
    });

    const previous = session.lastStats;
    session.lastStats = { received, lost };
    let loss = remoteLoss;
    if (previous) {
      const got = received - previous.received;
      const missing = Math.max(0, lost - previous.lost);
      if (got + missing > 0) {
        loss = Math.max(loss, missing / (got + missing));
      }
    }
    let quality = 'good';
    if (loss >= 0.08 || (rtt !== null && rtt >= 0.5)) {
      quality = 'poor';
    } else if (loss >= 0.02 || (rtt !== null && rtt >= 0.2)) {
      quality = 'fair';
    }
    const words = { good: 'good', fair: 'fair', poor: 'poor' };
    ui.quality.dataset.quality = quality;
    ui.qualityText.textContent = `Connection: ${words[quality]}`;
    ui.quality.title = `Packet loss ${(loss * 100).toFixed(1)} %` + (rtt !== null ? `, round trip ${Math.round(rtt * 1000)} ms` : '');

    const now = performance.now();
    for (const party of session.parties) {
      if (!party) {
        continue;
      }
      const packets = (packetsByMid.get(party.mids.video) || 0) + (packetsByMid.get(party.mids.audio) || 0);
      if (packets !== party.lastPackets) {
        party.lastPackets = packets;
        party.lastSeen = now;
        setPartyActive(party, true);
      } else if (party.active && now - (party.lastSeen || party.lastChange) > PARTY_IDLE_MS) {
        setPartyActive(party, false);
      }
    }
  }

  // --- Controls ----------------------------------------------------------------------------------------------------------

  function updateLocalControls() {
    const audio = localTrack('audio');
    const video = localTrack('video');
    ui.mute.disabled = !audio;
    ui.camera.disabled = !video;
    const muted = !!audio && !audio.enabled;
    ui.mute.setAttribute('aria-pressed', String(muted));
    ui.mute.textContent = muted ? 'Unmute microphone' : 'Mute microphone';
    const cameraOff = !!video && !video.enabled;
    ui.camera.setAttribute('aria-pressed', String(cameraOff));
    ui.camera.textContent = cameraOff ? 'Turn camera on' : 'Turn camera off';
  }

  ui.mute.addEventListener('click', () => {
    const audio = localTrack('audio');
    if (audio) {
      // A disabled track sends silence, so the others' view of the call does not change shape (W3C mediacapture §4.3.1).
      audio.enabled = !audio.enabled;
      updateLocalControls();
      say(audio.enabled ? 'Your microphone is on.' : 'Your microphone is muted.');
    }
  });

  ui.camera.addEventListener('click', () => {
    const video = localTrack('video');
    if (video) {
      video.enabled = !video.enabled;
      updateLocalControls();
      say(video.enabled ? 'Your camera is on.' : 'Your camera is off.');
    }
  });

  ui.leave.addEventListener('click', () => {
    leave();
  });

  ui.sound.addEventListener('click', () => {
    for (const party of session.parties) {
      if (party) {
        party.video.muted = false;
        party.video.play().catch(() => {});
      }
    }
    ui.soundPrompt.hidden = true;
  });

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

  // Leaving the page leaves the visit; keepalive lets the request outlive the page (Fetch §4.5 keepalive).
  window.addEventListener('pagehide', () => {
    if (session.legUrl && !session.ending) {
      fetch(session.legUrl, { method: 'DELETE', headers: authHeaders(), keepalive: true });
    }
  });

  // A kiosk opens /visit?token=…: join at once. The token is then taken out of the address bar (and history).
  const fromUrl = new URLSearchParams(window.location.search).get('token');
  if (fromUrl) {
    const url = new URL(window.location.href);
    url.searchParams.delete('token');
    window.history.replaceState(null, '', url.pathname + url.search + url.hash);
    if (acceptToken(fromUrl)) {
      join();
    } else {
      ui.token.value = fromUrl;
    }
  }
})();
