// This device, for the /visit page: the secret that binds a join code to it, and its camera and microphone.
//
// The server binds a join code to the first device that joins with it. The page proves it is that device with a random
// secret kept in the browser's storage (one per join code), sent as the Client-Instance header on every request, so reloading
// the page or changing network keeps the visit, while a copy of the code on another device is refused.

const INSTANCE_KEY_PREFIX = 'visit.client.';

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
 * The secret that makes this browser the device a join code is bound to. localStorage keeps it across reloads, closed tabs
 * and network changes (sessionStorage when localStorage is unavailable); it is kept per join code (its jti).
 */
export function clientInstance(claims) {
  const id = claims && typeof claims.jti === 'string' ? claims.jti : 'code';
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
      return value;
    } catch {
      // Full or refused: try the next store.
    }
  }
  return newInstance();
}

/** Camera and microphone, or the microphone alone, or the camera alone; null when none can be had. */
export async function openMedia() {
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

// Slots beyond the first sendrecv pair: a join may carry up to four further parties on recvonly pairs.
const EXTRA_PARTIES = 4;

/** The connection a join offers: this device's tracks on the first sendrecv pair, then recvonly pairs for more parties. */
export function peerConnectionFor(stream) {
  // The server answers with BUNDLE and rtcp-mux: ask for both so every slot rides one transport.
  const pc = new RTCPeerConnection({ bundlePolicy: 'max-bundle', rtcpMuxPolicy: 'require' });
  const video = trackOf(stream, 'video');
  const audio = trackOf(stream, 'audio');
  const streams = stream ? [stream] : [];
  // First pair: we send ourselves and receive the first other party (the kiosk, for a visitor).
  pc.addTransceiver(video || 'video', { direction: 'sendrecv', streams });
  pc.addTransceiver(audio || 'audio', { direction: 'sendrecv', streams });
  for (let i = 0; i < EXTRA_PARTIES; i++) {
    pc.addTransceiver('video', { direction: 'recvonly' });
    pc.addTransceiver('audio', { direction: 'recvonly' });
  }
  return pc;
}

export function trackOf(stream, kind) {
  return stream ? stream.getTracks().find((t) => t.kind === kind) || null : null;
}

/** Wires the mute and camera buttons to the local tracks (telling <c>changed</c>); returns the function that brings them up to date. */
export function wireLocalControls(ui, stream, say, changed = () => {}) {
  const update = () => {
    const audio = trackOf(stream(), 'audio');
    const video = trackOf(stream(), 'video');
    ui.mute.disabled = !audio;
    ui.camera.disabled = !video;
    const muted = !!audio && !audio.enabled;
    ui.mute.setAttribute('aria-pressed', String(muted));
    ui.mute.textContent = muted ? 'Unmute microphone' : 'Mute microphone';
    const cameraOff = !!video && !video.enabled;
    ui.camera.setAttribute('aria-pressed', String(cameraOff));
    ui.camera.textContent = cameraOff ? 'Turn camera on' : 'Turn camera off';
  };

  // A disabled track sends silence (or black), so the others' view of the call does not change shape (W3C mediacapture §4.3.1).
  const toggle = (button, kind, on, off) => button.addEventListener('click', () => {
    const track = trackOf(stream(), kind);
    if (track) {
      track.enabled = !track.enabled;
      update();
      say(track.enabled ? on : off);
      changed();
    }
  });
  toggle(ui.mute, 'audio', 'Your microphone is on.', 'Your microphone is muted.');
  toggle(ui.camera, 'video', 'Your camera is on.', 'Your camera is off.');
  return update;
}

/** Leaving asks first: a visit is short and often paid for, and the button is easy to touch by mistake. */
export function wireLeaveConfirm(ui, leave) {
  ui.leave.addEventListener('click', () => {
    ui.leaveConfirm.hidden = false;
    ui.leave.hidden = true;
    ui.leaveNo.focus();
  });
  const close = () => { ui.leaveConfirm.hidden = true; ui.leave.hidden = false; };
  ui.leaveNo.addEventListener('click', close);
  ui.leaveYes.addEventListener('click', () => { close(); leave(); });
}
