// The /review page: investigators search recordings, play the review copy, jump to bookmarks, verify, download and set a
// legal hold (docs/api.md, "Recordings"). Framework-free, like /visit: the server serves these three files and nothing else is loaded.
//
// The token lives in sessionStorage (this tab only). API calls send it as "Authorization: Bearer"; the <video> element and
// download links cannot, so their addresses carry it as ?access_token=, which the server accepts for exactly those three
// downloads (README, "API notes").
//
// Test hooks (read by tests/MediaServer.WebRtcTests): body[data-state] is no-token, ready, searching, loading or error;
// #detail[data-visit] and [data-recording-state] describe the open recording; #verify-result[data-ok] is "true" or "false".
'use strict';

(() => {
  const TOKEN_KEY = 'mediaserver.review.token';
  // While a review copy is being made the page re-reads the recording this often (every read is audited, so not faster).
  const RENDER_POLL_MS = 5000;

  const $ = (id) => document.getElementById(id);
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

  const setState = (name) => { document.body.dataset.state = name; };

  const say = (text) => { ui.status.textContent = text; };

  const showError = (text) => {
    ui.error.textContent = text;
    ui.error.hidden = !text;
    if (text) setState('error');
  };

  const clear = (element) => { while (element.firstChild) element.removeChild(element.firstChild); };

  const two = (n) => String(n).padStart(2, '0');

  // Local date and time with the offset written out, so a time read aloud in court is unambiguous.
  const formatTime = (iso) => {
    if (!iso) return '—';
    const d = new Date(iso);
    if (Number.isNaN(d.getTime())) return String(iso);
    const offset = -d.getTimezoneOffset();
    const sign = offset >= 0 ? '+' : '−';
    const abs = Math.abs(offset);
    return `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())} ${two(d.getHours())}:${two(d.getMinutes())}:`
      + `${two(d.getSeconds())} (UTC${sign}${two(Math.floor(abs / 60))}:${two(abs % 60)})`;
  };

  // Seconds as h:mm:ss or m:ss, cut to the whole second as a media player shows a position (and as the clock times are).
  const formatSpan = (seconds) => {
    if (seconds === null || seconds === undefined || Number.isNaN(seconds)) return '—';
    const total = Math.max(0, Math.floor(seconds));
    const h = Math.floor(total / 3600);
    const m = Math.floor((total % 3600) / 60);
    const s = total % 60;
    return h > 0 ? `${h}:${two(m)}:${two(s)}` : `${m}:${two(s)}`;
  };

  const person = (p) => (p ? (p.name ? `${p.name} (${p.id})` : p.id) : '—');

  const stateWords = {
    recording: 'Recording now',
    sealed: 'Sealed, waiting for its review copy',
    rendered: 'Ready',
    render_failed: 'No review copy (rendering failed)',
    failed: 'Recording failed',
    purged: 'Purged',
  };
  const describeState = (name) => stateWords[name] || name;

  // Reads the claims of a JWT without checking it (the server checks); only to greet the holder and catch a wrong paste.
  const claimsOf = (token) => {
    const parts = token.split('.');
    if (parts.length !== 3) return null;
    try {
      const json = atob(parts[1].replace(/-/g, '+').replace(/_/g, '/'));
      return JSON.parse(json);
    } catch {
      return null;
    }
  };

  // ---- HTTP ---------------------------------------------------------------------------------------------------------------

  class ApiError extends Error {
    constructor(status, message) {
      super(message);
      this.status = status;
    }
  }

  // Plain words for what went wrong; the server's own detail follows when it gave one.
  const explain = (status, detail) => {
    const base = {
      401: 'The server refused the token (401): it is missing, expired, or not issued by this server. Paste a fresh investigator token.',
      403: 'This token may not open recordings (403): it needs the investigator or admin role.',
      404: 'No such recording (404): it does not exist or has been purged.',
      409: 'Not available (409).',
    }[status] || `The server answered ${status}.`;
    return detail && !base.includes(detail) ? `${base} ${detail}` : base;
  };

  const problemDetail = async (response) => {
    try {
      const type = response.headers.get('Content-Type') || '';
      if (type.includes('json')) {
        const body = await response.json();
        return body.detail || body.title || '';
      }
      const text = (await response.text()).trim();
      return text.length < 300 ? text : '';
    } catch {
      return '';
    }
  };

  const api = async (method, path) => {
    let response;
    try {
      response = await fetch(path, {
        method,
        headers: { Authorization: `Bearer ${state.token}`, Accept: 'application/json' },
        cache: 'no-store',
      });
    } catch (e) {
      throw new ApiError(0, `Could not reach the server (${e.message}). Check the network and try again.`);
    }
    if (!response.ok) {
      throw new ApiError(response.status, explain(response.status, await problemDetail(response)));
    }
    const type = response.headers.get('Content-Type') || '';
    return type.includes('json') ? response.json() : response.text();
  };

  // Addresses for <video> and links: the token rides in the query because neither can send a header.
  const downloadUrl = (id, what) =>
    `/api/recordings/${encodeURIComponent(id)}/${what}?access_token=${encodeURIComponent(state.token)}`;

  const fail = (e) => {
    showError(e instanceof ApiError ? e.message : `Something went wrong on this page: ${e.message}`);
    say('');
    if (e instanceof ApiError && e.status === 401) {
      ui.token.focus();
    }
  };

  // ---- Token --------------------------------------------------------------------------------------------------------------

  const useToken = (token, announce) => {
    const claims = claimsOf(token);
    if (!claims) {
      ui.tokenError.textContent = 'That does not look like a token: a token is three parts separated by dots.';
      ui.tokenError.hidden = false;
      ui.token.setAttribute('aria-invalid', 'true');
      return false;
    }
    ui.tokenError.hidden = true;
    ui.token.removeAttribute('aria-invalid');
    state.token = token;
    try {
      sessionStorage.setItem(TOKEN_KEY, token);
    } catch {
      // Storage may be off (private mode); the token then lasts until the page is reloaded.
    }
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
    try {
      sessionStorage.removeItem(TOKEN_KEY);
    } catch {
      // Nothing stored.
    }
    ui.token.value = '';
    ui.who.hidden = true;
    ui.searchSection.hidden = true;
    closeDetail();
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
      const list = await api('GET', `/api/recordings?${query}`);
      renderResults(list);
      setState('ready');
      say('');
    } catch (e) {
      fail(e);
    } finally {
      ui.searchButton.disabled = false;
    }
  };

  const visitorsText = (visitors) => (visitors && visitors.length ? visitors.map(person).join(', ') : 'no visitors');

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
      button.addEventListener('click', () => open(r.visit));
      ui.results.appendChild(item);
    }
  };

  // ---- One recording ------------------------------------------------------------------------------------------------------

  const stopPolling = () => {
    clearTimeout(state.pollTimer);
    state.pollTimer = 0;
  };

  const closeDetail = () => {
    stopPolling();
    state.generation++;
    state.open = null;
    ui.player.pause();
    ui.player.removeAttribute('src');
    ui.player.load();
    ui.detail.hidden = true;
    delete ui.detail.dataset.visit;
  };

  const open = async (id) => {
    stopPolling();
    const generation = ++state.generation;
    setState('loading');
    showError('');
    say(`Opening visit ${id}…`);
    try {
      const answer = await api('GET', `/api/recordings/${encodeURIComponent(id)}`);
      if (generation !== state.generation) return;
      showRecording(id, answer, true);
      setState('ready');
      say('');
    } catch (e) {
      if (generation === state.generation) fail(e);
    }
  };

  // Re-reads a recording whose review copy is still being made, until it is rendered or has failed.
  const poll = (id, generation) => {
    state.pollTimer = setTimeout(async () => {
      try {
        const answer = await api('GET', `/api/recordings/${encodeURIComponent(id)}`);
        if (generation !== state.generation) return;
        showRecording(id, answer, false);
      } catch (e) {
        if (generation === state.generation) fail(e);
      }
    }, RENDER_POLL_MS);
  };

  const hasReviewCopy = (summary, manifest) => summary.state === 'rendered' && !!(manifest && manifest.reviewCopy);

  const showRecording = (id, answer, fresh) => {
    const summary = answer.recording;
    const manifest = answer.manifest || null;
    const wasPlayable = state.open && state.open.id === id && hasReviewCopy(state.open.summary, state.open.manifest);
    state.open = { id, summary, manifest };
    ui.detail.hidden = false;
    ui.detail.dataset.visit = id;
    ui.detail.dataset.recordingState = summary.state;
    ui.detailTitle.textContent = `Visit ${id}`;

    renderFacts(summary, manifest);
    const playable = hasReviewCopy(summary, manifest);
    if (playable && !wasPlayable) {
      ui.player.src = downloadUrl(id, 'media');
    }
    if (!playable) {
      ui.player.removeAttribute('src');
    }
    ui.player.hidden = !playable;
    renderPlayerMessage(summary, playable);
    renderMarks(answer.flags || [], answer.gaps || [], manifest, playable);
    renderDownloads(id, playable);
    renderHold(summary.hold);
    if (fresh) {
      ui.verifyResult.hidden = true;
      delete ui.verifyResult.dataset.ok;
      ui.detailTitle.focus();
    }
    if (summary.state === 'recording' || summary.state === 'sealed') {
      poll(id, state.generation);
    }
  };

  const renderFacts = (summary, manifest) => {
    clear(ui.facts);
    const fact = (term, value) => {
      const dt = document.createElement('dt');
      dt.textContent = term;
      const dd = document.createElement('dd');
      dd.textContent = value;
      ui.facts.append(dt, dd);
    };
    fact('Inmate', person(summary.inmate));
    fact('Visitors', visitorsText(summary.visitors));
    fact('Started', formatTime(manifest ? manifest.start : summary.start));
    if (manifest) fact('Ended', formatTime(manifest.end));
    fact('Duration', formatSpan(summary.durationSeconds));
    fact('State', describeState(summary.state));
    if (summary.error) fact('Problem', summary.error);
    if (summary.recovered) fact('Recovered', 'Yes: the server stopped during the visit and recovered this recording at its next start.');
    if (manifest) {
      fact('Journal', `${manifest.journal.records} records, ${manifest.journal.bytes} bytes`
        + (manifest.journal.droppedPackets ? `, ${manifest.journal.droppedPackets} packets dropped` : ''));
      fact('Signed', `${formatTime(manifest.signedAt)} with key ${manifest.keyId}`);
    }
  };

  const renderPlayerMessage = (summary, playable) => {
    let text = '';
    const progress = summary.renderProgress;
    ui.renderProgress.hidden = true;
    if (!playable) {
      if (summary.state === 'recording') {
        text = 'This visit is still being recorded. The review copy is made when it ends.';
      } else if (summary.state === 'sealed') {
        if (progress !== null && progress !== undefined) {
          text = `Making the review copy: ${Math.round(progress * 100)} % done.`;
          ui.renderProgress.value = progress;
          ui.renderProgress.hidden = false;
        } else {
          text = 'The recording is sealed and waiting for its review copy to be made.';
        }
      } else {
        text = `No review copy to play. State: ${describeState(summary.state)}.`
          + (summary.error ? ` Reason: ${summary.error}.` : '')
          + ' The journal can still be downloaded and verified.';
      }
    }
    ui.playerMessage.textContent = text;
    ui.playerMessage.hidden = !text;
    ui.playerMessage.dataset.kind = playable ? 'none' : summary.state;
  };

  // Seconds into the review copy: the copy starts at the manifest's start (wall clock), so a bookmark's position is its
  // wall time minus that start.
  const offsetOf = (at, manifest) => {
    if (!manifest || !manifest.start) return null;
    const seconds = (new Date(at).getTime() - new Date(manifest.start).getTime()) / 1000;
    return Number.isFinite(seconds) ? Math.max(0, seconds) : null;
  };

  const seek = (seconds, label) => {
    if (ui.player.hidden || !ui.player.getAttribute('src')) {
      say(`${label} is ${formatSpan(seconds)} into the visit; there is no review copy to play yet.`);
      return;
    }
    ui.player.currentTime = seconds;
    ui.player.play().catch(() => {
      // Autoplay may be refused; the position is set and the controls are there.
    });
    say(`Playing from ${formatSpan(seconds)}: ${label}.`);
  };

  const renderMarks = (flags, gaps, manifest, playable) => {
    clear(ui.bookmarks);
    ui.bookmarksEmpty.hidden = flags.length > 0;
    for (const flag of flags) {
      const offset = offsetOf(flag.at, manifest);
      const li = document.createElement('li');
      const button = document.createElement('button');
      button.type = 'button';
      button.className = 'mark';
      button.dataset.offset = offset === null ? '' : String(offset);
      const position = offset === null ? '' : ` — ${formatSpan(offset)} into the visit`;
      button.textContent = `${formatTime(flag.at)}${position}`;
      const note = document.createElement('span');
      note.className = 'note';
      note.textContent = `${flag.by || 'unknown'}: ${flag.note || '(no note)'}`;
      button.appendChild(note);
      button.disabled = offset === null;
      button.setAttribute('aria-description', playable ? 'Plays the review copy from this moment' : 'No review copy to play');
      button.addEventListener('click', () => seek(offset, `bookmark by ${flag.by || 'unknown'}`));
      li.appendChild(button);
      ui.bookmarks.appendChild(li);
    }

    clear(ui.gaps);
    ui.gapsEmpty.hidden = gaps.length > 0;
    for (const gap of gaps) {
      const li = document.createElement('li');
      const offset = offsetOf(gap.from, manifest);
      const where = offset === null ? '' : ` (at ${formatSpan(offset)})`;
      li.textContent = `${gap.participant} ${gap.kind}: nothing for ${gap.seconds.toFixed(1)} s from ${formatTime(gap.from)}${where}`;
      ui.gaps.appendChild(li);
    }
  };

  const renderDownloads = (id, playable) => {
    ui.downloadMedia.hidden = !playable;
    ui.downloadMediaNone.hidden = playable;
    ui.downloadMedia.href = playable ? downloadUrl(id, 'media') : '#';
    ui.downloadMedia.setAttribute('download', `${id}.mp4`);
    ui.downloadJournal.href = downloadUrl(id, 'journal');
    ui.downloadJournal.setAttribute('download', `${id}.msj`);
    ui.downloadExport.href = downloadUrl(id, 'export');
    ui.downloadExport.setAttribute('download', `recording-${id}.zip`);
  };

  const renderHold = (hold) => {
    const admin = state.role === 'admin';
    ui.hold.setAttribute('aria-pressed', hold ? 'true' : 'false');
    ui.hold.textContent = hold ? (admin ? 'Release legal hold' : 'On legal hold') : 'Place legal hold';
    ui.hold.disabled = hold && !admin;
    ui.holdText.textContent = hold
      ? 'On legal hold: retention will not purge this recording.' + (admin ? '' : ' Only an admin can release it.')
      : 'Not on hold: retention purges this recording when it is older than the configured number of days.';
  };

  // ---- Verify and hold ----------------------------------------------------------------------------------------------------

  const renderVerification = (report) => {
    clear(ui.verifyResult);
    ui.verifyResult.dataset.ok = report.ok ? 'true' : 'false';
    const head = document.createElement('p');
    head.className = report.ok ? 'verdict good' : 'verdict bad';
    head.textContent = report.ok
      ? 'Verified: the signature, every journal record, the hash chain and the review copy all check.'
      : 'Verification FAILED. Problems found:';
    ui.verifyResult.appendChild(head);
    if (!report.ok) {
      const list = document.createElement('ul');
      list.className = 'problems';
      for (const problem of report.problems || []) {
        const li = document.createElement('li');
        li.textContent = problem;
        list.appendChild(li);
      }
      ui.verifyResult.appendChild(list);
    }
    const details = document.createElement('dl');
    details.className = 'facts small';
    const row = (term, value) => {
      const dt = document.createElement('dt');
      dt.textContent = term;
      const dd = document.createElement('dd');
      dd.textContent = value;
      details.append(dt, dd);
    };
    row('Signature', report.signatureValid ? `valid (key ${report.keyId || '—'})` : 'NOT valid');
    row('Hash chain', report.chainValid ? 'intact' : 'BROKEN');
    row('Journal SHA-256', report.journalSha256 || '—');
    row('Review copy SHA-256', report.mediaSha256 || 'no review copy');
    row('Gaps', String((report.gaps || []).length));
    ui.verifyResult.appendChild(details);
    ui.verifyResult.hidden = false;
  };

  const verify = async () => {
    if (!state.open) return;
    const { id } = state.open;
    const generation = state.generation;
    ui.verify.disabled = true;
    showError('');
    say('Verifying…');
    try {
      const report = await api('GET', `/api/recordings/${encodeURIComponent(id)}/verify`);
      if (generation !== state.generation) return;
      renderVerification(report);
      say(report.ok ? 'Verified.' : 'Verification failed.');
    } catch (e) {
      if (generation === state.generation) fail(e);
    } finally {
      ui.verify.disabled = false;
    }
  };

  const toggleHold = async () => {
    if (!state.open) return;
    const { id, summary } = state.open;
    const wanted = !summary.hold;
    ui.hold.disabled = true;
    showError('');
    try {
      const answer = await api(wanted ? 'POST' : 'DELETE', `/api/recordings/${encodeURIComponent(id)}/hold`);
      summary.hold = !!answer.hold;
      renderHold(summary.hold);
      const item = ui.results.querySelector(`button[data-visit="${CSS.escape(id)}"] .result-meta`);
      if (item) {
        item.textContent = item.textContent.replace(' · on legal hold', '') + (summary.hold ? ' · on legal hold' : '');
      }
      say(summary.hold ? 'Legal hold placed.' : 'Legal hold released.');
    } catch (e) {
      fail(e);
    } finally {
      ui.hold.disabled = summary.hold && state.role !== 'admin';
    }
  };

  // A media element reports only "error", never the HTTP status: ask the server once with the header to say what it was.
  const explainPlayerError = async () => {
    if (!state.open || ui.player.hidden || !ui.player.getAttribute('src')) return;
    const { id } = state.open;
    let text = 'The review copy could not be played.';
    try {
      const response = await fetch(`/api/recordings/${encodeURIComponent(id)}/media`, {
        headers: { Authorization: `Bearer ${state.token}`, Range: 'bytes=0-0' },
        cache: 'no-store',
      });
      if (!response.ok) {
        text = `The review copy could not be loaded. ${explain(response.status, await problemDetail(response))}`;
      } else {
        const code = ui.player.error ? ui.player.error.code : 0;
        text = `The review copy was fetched but this browser could not play it (media error ${code}). Download it instead.`;
      }
    } catch (e) {
      text = `The review copy could not be loaded: could not reach the server (${e.message}).`;
    }
    showError(text);
  };

  // ---- Wiring -------------------------------------------------------------------------------------------------------------

  ui.tokenForm.addEventListener('submit', (event) => {
    event.preventDefault();
    if (useToken(ui.token.value.trim(), true) && state.open) open(state.open.id);
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
  ui.verify.addEventListener('click', verify);
  ui.hold.addEventListener('click', toggleHold);
  ui.player.addEventListener('error', explainPlayerError);

  let saved = '';
  try {
    saved = sessionStorage.getItem(TOKEN_KEY) || '';
  } catch {
    saved = '';
  }
  if (saved) {
    ui.token.value = saved;
    useToken(saved, false);
    say('Using the token from this tab. Search for recordings below.');
  } else {
    setState('no-token');
  }
})();
