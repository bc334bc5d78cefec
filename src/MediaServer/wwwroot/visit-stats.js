// What the /visit page measures of its connection: when the first remote frame is decoded, and a plain-words quality.

const FIRST_FRAME_POLL_MS = 50;

/**
 * Records when the first remote video frame is decoded, measured from applying the answer (the late-join test reads it).
 * <c>current()</c> is false once this connection is no longer the page's.
 */
export function watchFirstFrame(pc, current, timings) {
  const poll = async () => {
    if (!current() || pc.connectionState === 'closed') {
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

/**
 * Reads one getStats() report against the previous totals: loss over the interval (or as the far end reports it), the round
 * trip of the selected candidate pair, a level (good, fair, poor) where speech and video visibly suffer, and packets per mid.
 */
function measure(report, previous) {
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
  return { totals: { received, lost }, loss, rtt, quality, packetsByMid };
}

/**
 * Every <c>intervalMs</c> while <c>current()</c>: shows the connection's quality in the page's #quality and lets the tiles
 * see which parties' packets moved. Returns the interval timer.
 */
export function pollQuality(pc, current, ui, tiles, intervalMs) {
  let previous = null;
  return setInterval(async () => {
    if (!current() || pc.connectionState === 'closed') {
      return;
    }
    let report;
    try {
      report = await pc.getStats();
    } catch {
      return; // The connection closed between the check and the call.
    }
    const m = measure(report, previous);
    previous = m.totals;
    ui.quality.dataset.quality = m.quality;
    ui.qualityText.textContent = `Connection: ${m.quality}`;
    ui.quality.title = `Packet loss ${(m.loss * 100).toFixed(1)} %` + (m.rtt !== null ? `, round trip ${Math.round(m.rtt * 1000)} ms` : '');
    tiles.noteTraffic(m.packetsByMid);
  }, intervalMs);
}
