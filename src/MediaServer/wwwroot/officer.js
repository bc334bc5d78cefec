// The /officer console: live visits (flagged first) pushed by the server, a one-click tap that shows and plays every party,
// flags with a note, and terminate after a confirmation (docs/api.md, "Visits"; README, "Officer console").
//
// The live list comes from GET /api/officer/events, a text/event-stream read with fetch() so the token travels in the
// Authorization header (EventSource cannot send headers, and a token in a URL ends up in logs).
//
// Test hooks (read by tests/MediaServer.WebRtcTests): window.officerTap is the open tap ({visitId, location, pc}) or null;
// window.officerSnapshot the last list received; body[data-state] is signed-out, live or tapping.
'use strict';

(() => {
  const TOKEN_KEY = 'officerToken';
  // The server is ICE-lite and never trickles: the offer must carry our candidates. Wait this long for gathering at most.
  const GATHER_TIMEOUT_MS = 2000;
  // The server sends at least every 2 s; silence for this long means the stream is stuck, so it is reopened.
  const FEED_STALL_MS = 10000;

  const $ = (id) => document.getElementById(id);
  const ui = {
    status: $('status'),
    error: $('error'),
    feed: $('feed'),
    feedText: $('feed-text'),
    signOut: $('sign-out'),
    signIn: $('sign-in'),
    signInForm: $('sign-in-form'),
    token: $('token'),
    console: $('console'),
    visits: $('visits'),
    noVisits: $('no-visits'),
    visitCount: $('visit-count'),
    mixed: $('mixed-audio'),
    tap: $('tap'),
    tapTitle: $('tap-title'),
    tapStatus: $('tap-status'),
    tapTiles: $('tap-tiles'),
    tapStop: $('tap-stop'),
    tapSound: $('tap-sound'),
    tapSoundButton: $('tap-sound-button'),
    visitTemplate: $('visit-template'),
    tileTemplate: $('tile-template'),
  };

  const session = {
    token: '',
    feedAbort: null,
    retryMs: 2000,
    snapshot: null,
    receivedAt: 0,
    serverOffsetMs: 0,
    tap: null,
    tapping: false,
  };
  window.officerTap = null;
  window.officerSnapshot = null;

  // ---- messages ----

  function say(text) { ui.status.textContent = text; }

  function showError(text) {
    ui.error.textContent = text;
    ui.error.hidden = !text;
  }

  async function problemText(response) {
    const text = await response.text().catch(() => '');
    try {
      const problem = JSON.parse(text);
      if (problem && (problem.detail || problem.title)) return problem.detail || problem.title;
    } catch { /* not JSON */ }
    return text || `The server answered ${response.status}.`;
  }

  function api(path, options = {}) {
    const headers = Object.assign({ Authorization: 'Bearer ' + session.token }, options.headers || {});
    return fetch(path, Object.assign({}, options, { headers, cache: 'no-store' }));
  }

  // ---- sign in ----

  function claimsOf(token) {
    const parts = token.split('.');
    if (parts.length !== 3) return null;
    try {
      const json = atob(parts[1].replace(/-/g, '+').replace(/_/g, '/').padEnd(Math.ceil(parts[1].length / 4) * 4, '='));
      return JSON.parse(json);
    } catch {
      return null;
    }
  }

  function signIn(token) {
    const claims = claimsOf(token);
    if (!claims) {
      showError('That is not a token: a token is three parts separated by dots.');
      return false;
    }
    const role = claims.role;
    if (role !== 'officer' && role !== 'admin') {
      showError(`This token is for the role "${role ?? 'none'}"; the console needs an officer token.`);
      return false;
    }
    if (claims.exp && claims.exp * 1000 < Date.now()) {
      showError('This token has expired. Ask for a new one.');
      return false;
    }
    session.token = token;
    sessionStorage.setItem(TOKEN_KEY, token);
    showError('');
    ui.signIn.hidden = true;
    ui.console.hidden = false;
    ui.signOut.hidden = false;
    ui.feed.hidden = false;
    document.body.dataset.state = 'live';
    say(`Signed in as ${claims.sub ?? 'unknown'} (${role}).` + (role === 'admin' ? ' Watching, flagging and ending visits need an officer token.' : ''));
    runFeed();
    return true;
  }

  async function signOut(message) {
    await stopTap();
    session.token = '';
    sessionStorage.removeItem(TOKEN_KEY);
    if (session.feedAbort) session.feedAbort.abort();
    session.feedAbort = null;
    ui.console.hidden = true;
    ui.signIn.hidden = false;
    ui.signOut.hidden = true;
    ui.feed.hidden = true;
    ui.visits.replaceChildren();
    document.body.dataset.state = 'signed-out';
    say('');
    showError(message || '');
  }

  ui.signInForm.addEventListener('submit', (event) => {
    event.preventDefault();
    const token = ui.token.value.trim();
    if (signIn(token)) ui.token.value = '';
  });
  ui.signOut.addEventListener('click', () => signOut(''));

  // ---- the live list (server-sent events over fetch) ----

  function setFeed(state, text) {
    ui.feed.dataset.feed = state;
    ui.feedText.textContent = text;
  }

  const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

  async function runFeed() {
    if (session.feedAbort) session.feedAbort.abort();
    const token = session.token;
    while (session.token === token && token) {
      const abort = new AbortController();
      session.feedAbort = abort;
      let stall = 0;
      const watchdog = () => {
        clearTimeout(stall);
        stall = setTimeout(() => abort.abort(), FEED_STALL_MS);
      };
      try {
        setFeed('waiting', 'Live updates: connecting');
        watchdog();
        const response = await api('/api/officer/events', { headers: { Accept: 'text/event-stream' }, signal: abort.signal });
        if (response.status === 401) {
          clearTimeout(stall);
          await signOut('The server did not accept the token (expired or not valid). Sign in again.');
          return;
        }
        if (response.status === 403) {
          clearTimeout(stall);
          await signOut('This token may not open the console: it needs the officer or admin role.');
          return;
        }
        if (!response.ok || !response.body) throw new Error(await problemText(response));
        setFeed('live', 'Live updates: on');
        const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
        let buffer = '';
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          watchdog();
          buffer += value.replace(/\r\n?/g, '\n');
          let end;
          while ((end = buffer.indexOf('\n\n')) >= 0) {
            onEventBlock(buffer.slice(0, end));
            buffer = buffer.slice(end + 2);
          }
        }
      } catch (error) {
        if (session.token !== token) return;
        if (!abort.signal.aborted) console.warn('officer feed:', error);
      } finally {
        clearTimeout(stall);
      }
      if (session.token !== token) return;
      setFeed('lost', 'Live updates: reconnecting…');
      await sleep(session.retryMs);
    }
  }

  // WHATWG HTML §9.2.6: field lines "name: value"; data lines joined with newlines.
  function onEventBlock(block) {
    let name = 'message';
    const data = [];
    for (const line of block.split('\n')) {
      if (!line || line.startsWith(':')) continue;
      const colon = line.indexOf(':');
      const field = colon < 0 ? line : line.slice(0, colon);
      let value = colon < 0 ? '' : line.slice(colon + 1);
      if (value.startsWith(' ')) value = value.slice(1);
      if (field === 'event') name = value;
      else if (field === 'data') data.push(value);
      else if (field === 'retry' && /^\d+$/.test(value)) session.retryMs = Number(value);
    }
    if (name === 'visits' && data.length) {
      try {
        render(JSON.parse(data.join('\n')));
      } catch (error) {
        console.warn('officer feed: bad event', error);
      }
    }
  }

  // ---- rendering ----

  function formatDuration(seconds) {
    const s = Math.max(0, Math.floor(seconds));
    const h = Math.floor(s / 3600);
    const m = Math.floor((s % 3600) / 60);
    const rest = String(s % 60).padStart(2, '0');
    return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${rest}` : `${m}:${rest}`;
  }

  const QUALITY_TEXT = { good: 'Connection good', fair: 'Connection fair', poor: 'Connection poor', connecting: 'Connecting', unknown: 'Connection unknown' };
  const STATE_TEXT = { waiting: 'not joined', connecting: 'connecting', connected: 'connected', left: 'left', closed: 'disconnected' };

  function visitTitle(visit) {
    const visitors = visit.visitors.map((v) => v.name).join(', ');
    return `${visit.inmate.name} (${visit.inmate.id}) with ${visitors || 'no visitors'}`;
  }

  function render(snapshot) {
    session.snapshot = snapshot;
    session.receivedAt = performance.now();
    window.officerSnapshot = snapshot;
    const visits = snapshot.visits || [];
    ui.visitCount.textContent = `(${visits.length})`;
    ui.noVisits.hidden = visits.length > 0;

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

    if (session.tap && !visits.some((v) => v.id === session.tap.visitId)) {
      const title = session.tap.title;
      stopTap(true).then(() => say(`The visit of ${title} is no longer live; watching stopped.`));
    }
    tickDurations();
  }

  function createVisitItem(id) {
    const li = ui.visitTemplate.content.firstElementChild.cloneNode(true);
    li.dataset.visitId = id;
    const q = (selector) => li.querySelector(selector);
    q('.tap-button').addEventListener('click', () => toggleTap(id));
    q('.flag-open').addEventListener('click', () => {
      q('.end-form').hidden = true;
      q('.flag-form').hidden = false;
      q('.flag-note').focus();
    });
    q('.end-open').addEventListener('click', () => {
      q('.flag-form').hidden = true;
      q('.end-form').hidden = false;
      q('.end-reason').focus();
    });
    for (const cancel of li.querySelectorAll('.cancel')) {
      cancel.addEventListener('click', () => {
        q('.flag-form').hidden = true;
        q('.end-form').hidden = true;
      });
    }
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
    li.dataset.durationSeconds = String(visit.durationSeconds);
    q('.title').textContent = visitTitle(visit);
    q('.badge.flagged').hidden = !visit.flagged;
    q('.badge.privileged').hidden = !visit.privileged;
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
    const tapped = session.tap?.visitId === visit.id;
    tapButton.setAttribute('aria-pressed', String(tapped));
    tapButton.textContent = tapped ? 'Stop watching' : 'Watch and listen';
    tapButton.disabled = visit.privileged || (session.tapping && !tapped);
    tapButton.title = visit.privileged ? 'Attorney and clergy visits are private: nobody may watch or listen.' : '';
  }

  function tickDurations() {
    const elapsed = (performance.now() - session.receivedAt) / 1000;
    for (const li of ui.visits.children) {
      const base = Number(li.dataset.durationSeconds || 0);
      li.querySelector('.duration').textContent = 'Live for ' + formatDuration(base + (base > 0 ? elapsed : 0));
    }
  }
  setInterval(tickDurations, 1000);

  function findVisit(id) {
    return session.snapshot?.visits?.find((v) => v.id === id) ?? null;
  }

  // ---- flag and terminate ----

  async function flag(id, li) {
    const input = li.querySelector('.flag-note');
    const note = input.value.trim();
    if (!note) {
      showError('Write a short note for the flag: what happened, and what investigators should look at.');
      input.focus();
      return;
    }
    showError('');
    const response = await api(`/api/visits/${encodeURIComponent(id)}/flags`, {
      method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ note }),
    }).catch((error) => ({ ok: false, status: 0, text: async () => String(error) }));
    if (response.status !== 201) {
      showError('The flag was not saved: ' + await problemText(response));
      return;
    }
    const saved = await response.json();
    input.value = '';
    li.querySelector('.flag-form').hidden = true;
    const visit = findVisit(id);
    say(`Flag saved at ${new Date(saved.at).toLocaleTimeString()}` + (visit ? ` on the visit of ${visitTitle(visit)}.` : '.'));
  }

  async function terminate(id, li) {
    const input = li.querySelector('.end-reason');
    const reason = input.value.trim();
    if (!reason) {
      showError('Give a reason for ending the visit; it is kept in the audit log.');
      input.focus();
      return;
    }
    const visit = findVisit(id);
    const title = visit ? visitTitle(visit) : 'this visit';
    if (!window.confirm(`End the visit of ${title} now?\n\nReason: ${reason}\n\nEveryone in the visit is disconnected at once.`)) {
      say('The visit was not ended.');
      return;
    }
    showError('');
    const response = await api(`/api/visits/${encodeURIComponent(id)}/terminate`, {
      method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ reason }),
    }).catch((error) => ({ ok: false, status: 0, text: async () => String(error) }));
    if (response.status !== 200) {
      showError('The visit was not ended: ' + await problemText(response));
      return;
    }
    input.value = '';
    li.querySelector('.end-form').hidden = true;
    if (session.tap?.visitId === id) await stopTap(true);
    say(`The visit of ${title} was ended.`);
  }

  // ---- the tap ----

  function waitForGathering(pc) {
    if (pc.iceGatheringState === 'complete') return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, GATHER_TIMEOUT_MS);
      pc.addEventListener('icegatheringstatechange', () => {
        if (pc.iceGatheringState === 'complete') {
          clearTimeout(timer);
          resolve();
        }
      });
    });
  }

  // docs/api.md: a tap's slots fill kiosk first, then visitors in the order they first joined; parties not yet joined come last.
  function slotOrder(visit) {
    return [...visit.participants].sort((a, b) => {
      if ((a.role === 'kiosk') !== (b.role === 'kiosk')) return a.role === 'kiosk' ? -1 : 1;
      const ao = a.joinOrder ?? Number.MAX_SAFE_INTEGER;
      const bo = b.joinOrder ?? Number.MAX_SAFE_INTEGER;
      return ao - bo;
    });
  }

  async function toggleTap(id) {
    if (session.tap?.visitId === id) {
      await stopTap();
      say('Stopped watching.');
      return;
    }
    await startTap(id);
  }

  async function startTap(id) {
    if (session.tapping) return;
    const visit = findVisit(id);
    if (!visit) {
      showError('That visit is no longer live.');
      return;
    }
    await stopTap();
    session.tapping = true;
    showError('');
    const mixed = ui.mixed.checked;
    const parties = slotOrder(visit);
    const title = visitTitle(visit);
    const pc = new RTCPeerConnection();
    const tap = { visitId: id, title, location: null, pc, mixed, parties };
    session.tap = tap;
    render(session.snapshot);
    ui.tap.hidden = false;
    ui.tapTitle.textContent = 'Watching: ' + title;
    ui.tapStatus.textContent = 'Connecting…';
    ui.tapTiles.replaceChildren();
    ui.tapSound.hidden = true;
    document.body.dataset.state = 'tapping';
    try {
      // One video and one audio slot per party (docs/api.md, SDP rules for join and tap); a mixed tap has one audio slot.
      const videos = [];
      const audios = [];
      for (let i = 0; i < parties.length; i++) {
        videos.push(pc.addTransceiver('video', { direction: 'recvonly' }));
        if (!mixed) audios.push(pc.addTransceiver('audio', { direction: 'recvonly' }));
      }
      if (mixed) audios.push(pc.addTransceiver('audio', { direction: 'recvonly' }));
      pc.addEventListener('connectionstatechange', () => {
        if (session.tap !== tap) return;
        if (pc.connectionState === 'connected') ui.tapStatus.textContent = mixed ? 'Connected. Sound: every party mixed into one track.' : 'Connected.';
        if (pc.connectionState === 'failed') {
          stopTap(true).then(() => showError('The monitoring connection was lost. Click "Watch and listen" to try again.'));
        }
      });
      await pc.setLocalDescription(await pc.createOffer());
      await waitForGathering(pc);
      if (session.tap !== tap) return;
      const path = `/api/visits/${encodeURIComponent(id)}/taps` + (mixed ? '?audio=mixed' : '');
      const response = await api(path, { method: 'POST', headers: { 'Content-Type': 'application/sdp' }, body: pc.localDescription.sdp });
      if (response.status !== 201) {
        const detail = await problemText(response);
        await stopTap(true);
        showError(`Watching "${title}" was refused: ${detail}`);
        return;
      }
      tap.location = response.headers.get('Location');
      window.officerTap = { visitId: id, location: tap.location, pc, mixed };
      if (session.tap !== tap) {
        // Stopped while the answer was on its way: end the tap the server just opened.
        if (tap.location) api(tap.location, { method: 'DELETE' }).catch(() => {});
        return;
      }
      await pc.setRemoteDescription({ type: 'answer', sdp: await response.text() });
      showTiles(tap, videos, audios);
    } catch (error) {
      if (session.tap === tap) {
        await stopTap(true);
        showError(`Watching "${title}" failed: ${error && error.message ? error.message : error}`);
      }
    } finally {
      if (session.tap === tap) session.tapping = false;
      if (session.snapshot) render(session.snapshot);
    }
  }

  function showTiles(tap, videos, audios) {
    const tiles = [];
    tap.parties.forEach((party, i) => {
      const tile = ui.tileTemplate.content.firstElementChild.cloneNode(true);
      tile.dataset.participant = party.id;
      tile.querySelector('figcaption').textContent = `${party.name} (${party.role === 'kiosk' ? 'inmate' : 'visitor'})`;
      const video = tile.querySelector('video');
      const tracks = [videos[i].receiver.track];
      if (!tap.mixed && audios[i]) tracks.push(audios[i].receiver.track);
      video.srcObject = new MediaStream(tracks);
      tiles.push(tile);
    });
    if (tap.mixed && audios[0]) {
      const audio = document.createElement('audio');
      audio.autoplay = true;
      audio.className = 'mixed-audio';
      audio.srcObject = new MediaStream([audios[0].receiver.track]);
      tiles.push(audio);
    }
    ui.tapTiles.replaceChildren(...tiles);
    // The click that opened the tap lets the page play sound; if the browser still refuses, one more click will.
    for (const media of ui.tapTiles.querySelectorAll('video, audio')) {
      media.play().catch(() => {
        ui.tapSound.hidden = false;
      });
    }
  }

  ui.tapSoundButton.addEventListener('click', () => {
    for (const media of ui.tapTiles.querySelectorAll('video, audio')) media.play().catch(() => {});
    ui.tapSound.hidden = true;
  });

  ui.tapStop.addEventListener('click', async () => {
    await stopTap();
    say('Stopped watching.');
  });

  async function stopTap(serverGone = false) {
    const tap = session.tap;
    session.tap = null;
    session.tapping = false;
    window.officerTap = null;
    if (!tap) return;
    tap.pc.close();
    for (const media of ui.tapTiles.querySelectorAll('video, audio')) media.srcObject = null;
    ui.tapTiles.replaceChildren();
    ui.tap.hidden = true;
    document.body.dataset.state = session.token ? 'live' : 'signed-out';
    if (tap.location && !serverGone) {
      const response = await api(tap.location, { method: 'DELETE' }).catch(() => null);
      if (response && response.status !== 204 && response.status !== 404) {
        showError('Ending the tap on the server failed: ' + await problemText(response));
      }
    }
    if (session.snapshot) render(session.snapshot);
  }

  // Closing the tab ends the tap too (RFC 9725 §4.3: DELETE the resource); keepalive lets the request outlive the page.
  window.addEventListener('pagehide', () => {
    const tap = session.tap;
    if (tap?.location) {
      fetch(tap.location, { method: 'DELETE', keepalive: true, headers: { Authorization: 'Bearer ' + session.token } }).catch(() => {});
    }
  });

  // ---- start ----

  const saved = sessionStorage.getItem(TOKEN_KEY);
  if (saved && !signIn(saved)) sessionStorage.removeItem(TOKEN_KEY);
})();
