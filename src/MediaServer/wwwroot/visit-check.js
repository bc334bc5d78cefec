// The family's check before joining (the kiosk joins at once): their own picture, a level meter for the microphone, a test
// sound for the speaker, a choice of camera and microphone, and front/back on a phone. "Join visit" hands the chosen stream to
// the join, so the browser asks for the camera once. Test hooks: body[data-state] is 'check' meanwhile; window.visitCheck
// holds { level, tonePlayed, cameras, microphones } as the page sees them.
import { $ } from './common/page.js';
import { openMedia, trackOf } from './visit-device.js';

const TONE_HZ = 440;
const TONE_SECONDS = 0.8;

/** The devices of <c>kind</c> ('videoinput', 'audioinput') as options of <c>select</c>, the one in use chosen. */
export async function listDevices(select, kind, inUse) {
  const devices = (await navigator.mediaDevices.enumerateDevices()).filter((d) => d.kind === kind);
  select.replaceChildren(...devices.map((device, index) => {
    const option = document.createElement('option');
    option.value = device.deviceId;
    option.textContent = device.label || (kind === 'videoinput' ? `Camera ${index + 1}` : `Microphone ${index + 1}`);
    option.selected = !!inUse && device.deviceId === inUse.getSettings().deviceId;
    return option;
  }));
  select.disabled = devices.length < 2;
  return devices.length;
}

/** A level from 0 to 1 of the stream's microphone, read about ten times a second until <c>stop()</c>. */
function levelMeter(stream, show) {
  const audio = trackOf(stream, 'audio');
  if (!audio || typeof AudioContext === 'undefined') {
    show(0);
    return () => {};
  }
  const context = new AudioContext();
  const analyser = context.createAnalyser();
  analyser.fftSize = 512;
  context.createMediaStreamSource(new MediaStream([audio])).connect(analyser);
  const samples = new Float32Array(analyser.fftSize);
  const timer = setInterval(() => {
    analyser.getFloatTimeDomainData(samples);
    let peak = 0;
    for (const s of samples) {
      peak = Math.max(peak, Math.abs(s));
    }
    show(Math.min(1, peak * 2));
  }, 100);
  return () => { clearInterval(timer); context.close().catch(() => {}); };
}

/** A short tone on the speaker (the click that asks for it lets the page play sound). */
function playTone() {
  const context = new AudioContext();
  const oscillator = context.createOscillator();
  const gain = context.createGain();
  oscillator.frequency.value = TONE_HZ;
  gain.gain.setValueAtTime(0.2, context.currentTime);
  gain.gain.exponentialRampToValueAtTime(0.001, context.currentTime + TONE_SECONDS);
  oscillator.connect(gain).connect(context.destination);
  oscillator.start();
  oscillator.stop(context.currentTime + TONE_SECONDS);
  oscillator.addEventListener('ended', () => context.close().catch(() => {}));
}

/**
 * Shows the check (section#check of visit.html) and resolves with the stream to join with (null: no camera or microphone could
 * be had; the visit can still be seen and heard) once "Join visit" is pressed.
 */
export function deviceCheck() {
  const ui = Object.fromEntries(['check', 'check-preview', 'check-level', 'check-camera', 'check-microphone', 'check-switch',
    'check-speaker', 'check-status', 'check-join'].map((id) => [id.replace(/-(\w)/g, (_, c) => c.toUpperCase()), $(id)]));
  const state = { level: 0, tonePlayed: false, cameras: 0, microphones: 0 };
  window.visitCheck = state;
  ui.check.hidden = false;
  let stream = null;
  let facing = 'user';
  let stopMeter = () => {};

  const showLevel = (level) => {
    state.level = level;
    ui.checkLevel.value = level;
  };

  async function use(constraints) {
    ui.checkStatus.textContent = 'Starting your camera and microphone…';
    const next = constraints ? await navigator.mediaDevices.getUserMedia(constraints).catch(() => null) : await openMedia();
    if (constraints && !next) {
      ui.checkStatus.textContent = 'That device could not be started. The one before is still in use.';
      return;
    }
    stopMeter();
    if (stream && stream !== next) {
      stream.getTracks().forEach((t) => t.stop());
    }
    stream = next;
    ui.checkPreview.srcObject = stream;
    ui.checkStatus.textContent = stream
      ? 'This is how the others will see you. Speak, and the bar shows that your microphone hears you.'
      : 'Your camera and microphone are not available. You can still join and see and hear the others.';
    stopMeter = levelMeter(stream, showLevel);
    if (stream && navigator.mediaDevices.enumerateDevices) {
      state.cameras = await listDevices(ui.checkCamera, 'videoinput', trackOf(stream, 'video'));
      state.microphones = await listDevices(ui.checkMicrophone, 'audioinput', trackOf(stream, 'audio'));
    }
    ui.checkSwitch.hidden = state.cameras < 2;
  }

  const video = () => trackOf(stream, 'video');
  const audio = () => trackOf(stream, 'audio');
  ui.checkCamera.addEventListener('change', () => use({ video: { deviceId: { exact: ui.checkCamera.value } }, audio: audio() ? { deviceId: audio().getSettings().deviceId } : false }));
  ui.checkMicrophone.addEventListener('change', () => use({ audio: { deviceId: { exact: ui.checkMicrophone.value } }, video: video() ? { deviceId: video().getSettings().deviceId } : false }));
  ui.checkSwitch.addEventListener('click', () => {
    facing = facing === 'user' ? 'environment' : 'user';
    use({ video: { facingMode: { exact: facing } }, audio: audio() ? { deviceId: audio().getSettings().deviceId } : false });
  });
  ui.checkSpeaker.addEventListener('click', () => {
    playTone();
    state.tonePlayed = true;
    ui.checkStatus.textContent = 'You should hear a short tone. If not, turn up the sound or choose another speaker in your device settings.';
  });

  return new Promise((resolve) => {
    ui.checkJoin.addEventListener('click', () => {
      stopMeter();
      ui.check.hidden = true;
      resolve(stream);
    }, { once: true });
    use(null).finally(() => { ui.checkJoin.disabled = false; });
  });
}
