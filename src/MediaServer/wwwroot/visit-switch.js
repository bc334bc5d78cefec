// Changing camera or microphone during the visit, for the family (the check before joining offers the same; a kiosk's devices
// are the facility's): the chosen device's track takes the place of the one being sent (RTCRtpSender.replaceTrack, W3C
// webrtc-pc §5.2: no new offer, the others' view of the call keeps its shape), keeps its muted or camera-off state, and the
// old one is stopped. A reconnect builds its connection from the same stream, so the choice stays.
// Test hook: window.visitDevices = { switches, camera, microphone } (the labels of the tracks being sent).
import { $ } from './common/page.js';
import { listDevices } from './visit-check.js';
import { trackOf } from './visit-device.js';

/** The transceiver that sends this device's <c>kind</c> (the first sendrecv pair of the join, visit-device.js). */
function sendingTransceiver(pc, kind) {
  return pc ? pc.getTransceivers().find((t) => t.direction === 'sendrecv' && t.receiver.track.kind === kind) || null : null;
}

/**
 * Wires the Devices panel of the call; returns <c>update</c>, which wraps <c>updateControls</c> (the mute and camera
 * buttons) and shows the panel's button to a visitor who has a camera or microphone. <c>session()</c> gives the page's
 * session (its stream, connection and claims); <c>changed()</c> runs after a switch (the server is told the devices' state).
 */
export function withDeviceSwitch(updateControls, session, say, changed) {
  const ui = { toggle: $('devices'), panel: $('devices-panel'), camera: $('call-camera'), microphone: $('call-microphone'), flip: $('call-switch') };
  const state = { switches: 0, camera: '', microphone: '' };
  window.visitDevices = state;
  let facing = 'user';

  const note = () => {
    const stream = session().stream;
    state.camera = trackOf(stream, 'video')?.label || '';
    state.microphone = trackOf(stream, 'audio')?.label || '';
  };

  async function list() {
    const stream = session().stream;
    const cameras = await listDevices(ui.camera, 'videoinput', trackOf(stream, 'video'));
    await listDevices(ui.microphone, 'audioinput', trackOf(stream, 'audio'));
    ui.flip.hidden = cameras < 2;
  }

  /** Sends the track of <c>kind</c> that <c>constraints</c> asks for instead of the one sent now. */
  async function replace(kind, constraints) {
    const { stream, pc } = session();
    let next;
    try {
      next = trackOf(await navigator.mediaDevices.getUserMedia({ [kind]: constraints }), kind);
    } catch {
      next = null;
    }
    if (!next || !stream) {
      say('That device could not be started. The one before is still in use.');
      await list();
      return;
    }
    const old = trackOf(stream, kind);
    if (old) {
      next.enabled = old.enabled; // muted stays muted, a camera turned off stays off
      stream.removeTrack(old);
    }
    stream.addTrack(next);
    const transceiver = sendingTransceiver(pc, kind);
    if (transceiver) {
      await transceiver.sender.replaceTrack(next).catch(() => {});
    }
    if (old) {
      old.stop();
    }
    state.switches++;
    note();
    say(kind === 'video' ? 'Your camera was changed.' : 'Your microphone was changed.');
    await list();
    update();
    changed();
  }

  ui.toggle.addEventListener('click', async () => {
    const open = ui.panel.hidden;
    ui.panel.hidden = !open;
    ui.toggle.setAttribute('aria-expanded', String(open));
    if (open) {
      await list();
    }
  });
  ui.camera.addEventListener('change', () => replace('video', { deviceId: { exact: ui.camera.value } }));
  ui.microphone.addEventListener('change', () => replace('audio', { deviceId: { exact: ui.microphone.value } }));
  ui.flip.addEventListener('click', () => {
    facing = facing === 'user' ? 'environment' : 'user';
    replace('video', { facingMode: { exact: facing } });
  });

  function update() {
    updateControls();
    const { stream, claims } = session();
    ui.toggle.hidden = !stream || !claims || claims.role !== 'visitor' || !navigator.mediaDevices?.enumerateDevices;
    if (ui.toggle.hidden) {
      ui.panel.hidden = true;
    }
    note();
  }
  return update;
}
