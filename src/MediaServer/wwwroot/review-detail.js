// One recording on the /review page: its facts, the player and bookmarks, gaps, verify, downloads and legal hold.
import { readProblem } from './common/api.js';
import { describe, describeState, formatSpan, formatTime, person, visitorsText } from './review-format.js';

// While a review copy is being made the page re-reads the recording this often (every read is audited, so not faster).
const RENDER_POLL_MS = 5000;

/**
 * The detail panel. <c>page</c> holds ui, state (token, open, role, pollTimer, generation), call and send (common/api.js),
 * say, showError, fail, setState, clear and downloadUrl.
 */
export function createDetail(page) {
  const { ui, state, call, send, say, showError, fail, setState, clear, downloadUrl } = page;

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
      const answer = await call('GET', `/api/recordings/${encodeURIComponent(id)}`);
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
        const answer = await call('GET', `/api/recordings/${encodeURIComponent(id)}`);
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
      const report = await call('GET', `/api/recordings/${encodeURIComponent(id)}/verify`);
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
      const answer = await call(wanted ? 'POST' : 'DELETE', `/api/recordings/${encodeURIComponent(id)}/hold`);
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
      const response = await send(`/api/recordings/${encodeURIComponent(id)}/media`, { headers: { Range: 'bytes=0-0' } });
      if (!response.ok) {
        text = `The review copy could not be loaded. ${describe(await readProblem(response))}`;
      } else {
        const code = ui.player.error ? ui.player.error.code : 0;
        text = `The review copy was fetched but this browser could not play it (media error ${code}). Download it instead.`;
      }
    } catch (e) {
      text = `The review copy could not be loaded: could not reach the server (${e.message}).`;
    }
    showError(text);
  };

  return { open, close: closeDetail, verify, toggleHold, explainPlayerError };
}
