// The officer's silent tap: one click shows and plays every party of a visit (POST /api/visits/{id}/taps, an SDP offer with
// receive-only slots; DELETE of its Location ends it). Test hook: window.officerTap is the open tap ({visitId, location, pc,
// mixed}) or null.
import { applyAnswer, closeQuietly, completeOffer, endResource, playOrPrompt, postOffer } from './common/webrtc.js';
import { readProblem } from './common/api.js';
import { setState } from './common/page.js';

// A tap's slots fill kiosk first, then visitors in the order they first joined; parties not yet joined come last.
function slotOrder(visit) {
  return [...visit.participants].sort((a, b) => {
    if ((a.role === 'kiosk') !== (b.role === 'kiosk')) return a.role === 'kiosk' ? -1 : 1;
    const ao = a.joinOrder ?? Number.MAX_SAFE_INTEGER;
    const bo = b.joinOrder ?? Number.MAX_SAFE_INTEGER;
    return ao - bo;
  });
}

const roleWord = (party) => (party.role === 'kiosk' ? 'inmate' : 'visitor');

/**
 * The tap of one console. <c>visit(id)</c> finds a live visit in the last list, <c>title(visit)</c> names it,
 * <c>rerender()</c> redraws the list (its buttons follow the tap), <c>signedIn()</c> says whether a token is held.
 */
export function createTaps({ ui, api, visit: findVisit, title: visitTitle, rerender, showError, signedIn }) {
  let tap = null;
  let tapping = false;
  window.officerTap = null;

  function showTiles(open, videos, audios) {
    const tiles = [];
    open.parties.forEach((party, i) => {
      const tile = ui.tileTemplate.content.firstElementChild.cloneNode(true);
      tile.dataset.participant = party.id;
      tile.querySelector('figcaption').textContent = `${party.name} (${roleWord(party)})`;
      const video = tile.querySelector('video');
      const tracks = [videos[i].receiver.track];
      if (!open.mixed && audios[i]) tracks.push(audios[i].receiver.track);
      video.srcObject = new MediaStream(tracks);
      tiles.push(tile);
    });
    if (open.mixed && audios[0]) {
      const audio = document.createElement('audio');
      audio.autoplay = true;
      audio.className = 'mixed-audio';
      audio.srcObject = new MediaStream([audios[0].receiver.track]);
      tiles.push(audio);
    }
    ui.tapTiles.replaceChildren(...tiles);
    // The click that opened the tap lets the page play sound; if the browser still refuses, one more click will.
    for (const media of ui.tapTiles.querySelectorAll('video, audio')) {
      playOrPrompt(media, () => { ui.tapSound.hidden = false; });
    }
  }

  async function stop(serverGone = false) {
    const open = tap;
    tap = null;
    tapping = false;
    window.officerTap = null;
    if (!open) return;
    closeQuietly(open.pc);
    for (const media of ui.tapTiles.querySelectorAll('video, audio')) media.srcObject = null;
    ui.tapTiles.replaceChildren();
    ui.tap.hidden = true;
    setState(signedIn() ? 'live' : 'signed-out');
    if (open.location && !serverGone) {
      const response = await endResource(api.send, open.location);
      if (response && response.status !== 204 && response.status !== 404) {
        showError('Ending the tap on the server failed: ' + (await readProblem(response)).message);
      }
    }
    rerender();
  }

  async function start(id) {
    if (tapping) return;
    const visit = findVisit(id);
    if (!visit) {
      showError('That visit is no longer live.');
      return;
    }
    await stop();
    tapping = true;
    showError('');
    const mixed = ui.mixed.checked;
    const parties = slotOrder(visit);
    const title = visitTitle(visit);
    const pc = new RTCPeerConnection();
    const open = { visitId: id, title, location: null, pc, mixed, parties };
    tap = open;
    rerender();
    ui.tap.hidden = false;
    ui.tapTitle.textContent = 'Watching: ' + title;
    ui.tapStatus.textContent = 'Connecting…';
    ui.tapTiles.replaceChildren();
    ui.tapSound.hidden = true;
    setState('tapping');
    try {
      // One video and one audio slot per party; a mixed tap has one audio slot.
      const videos = [];
      const audios = [];
      for (let i = 0; i < parties.length; i++) {
        videos.push(pc.addTransceiver('video', { direction: 'recvonly' }));
        if (!mixed) audios.push(pc.addTransceiver('audio', { direction: 'recvonly' }));
      }
      if (mixed) audios.push(pc.addTransceiver('audio', { direction: 'recvonly' }));
      pc.addEventListener('connectionstatechange', () => {
        if (tap !== open) return;
        if (pc.connectionState === 'connected') ui.tapStatus.textContent = mixed ? 'Connected. Sound: every party mixed into one track.' : 'Connected.';
        if (pc.connectionState === 'failed') {
          stop(true).then(() => showError('The monitoring connection was lost. Click "Watch and listen" to try again.'));
        }
      });
      const offer = await completeOffer(pc);
      if (tap !== open) return;
      const path = `/api/visits/${encodeURIComponent(id)}/taps` + (mixed ? '?audio=mixed' : '');
      const answer = await postOffer(api.send, path, offer);
      if (!answer.ok) {
        await stop(true);
        showError(`Watching "${title}" was refused: ${answer.problem.message}`);
        return;
      }
      open.location = answer.location;
      window.officerTap = { visitId: id, location: open.location, pc, mixed };
      if (tap !== open) {
        // Stopped while the answer was on its way: end the tap the server just opened.
        if (open.location) endResource(api.send, open.location);
        return;
      }
      await applyAnswer(pc, answer.answer);
      showTiles(open, videos, audios);
    } catch (error) {
      if (tap === open) {
        await stop(true);
        showError(`Watching "${title}" failed: ${error && error.message ? error.message : error}`);
      }
    } finally {
      if (tap === open) tapping = false;
      rerender();
    }
  }

  ui.tapSoundButton.addEventListener('click', () => {
    for (const media of ui.tapTiles.querySelectorAll('video, audio')) media.play().catch(() => {});
    ui.tapSound.hidden = true;
  });

  // Closing the tab ends the tap too (RFC 9725 §4.3: DELETE the resource); keepalive lets the request outlive the page.
  window.addEventListener('pagehide', () => {
    if (tap?.location) api.sendOnUnload(tap.location, 'DELETE');
  });

  return {
    /** The open tap ({ visitId, title, … }) or null. */
    get open() { return tap; },
    /** True while a tap is being set up: the other visits' buttons wait. */
    get busy() { return tapping; },
    start,
    stop,
  };
}
