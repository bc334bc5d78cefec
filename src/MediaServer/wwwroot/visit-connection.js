// How the /visit page tells a working connection from a lost one: the peer connection's and ICE agent's states, the DTLS
// transport (a close_notify from the server, RFC 5246 §7.2.1, is the quickest sign it closed the leg) and a short grace
// for an ICE 'disconnected' blip. It only reports; visit.js decides (re-join, or the end).

/**
 * Watches <c>pc</c> while <c>current()</c>: <c>connected()</c> when it is up, <c>unsteady()</c> when ICE is disconnected,
 * <c>lost()</c> when it failed, closed, or stayed disconnected for <c>graceMs</c>. Returns { watchDtls, deadline, stop }:
 * watchDtls() once the answer is applied; deadline(ms) reports lost() unless connected by then.
 */
export function watchConnection(pc, { current, connected, unsteady, lost, graceMs }) {
  let timer = 0;
  const clear = () => {
    clearTimeout(timer);
    timer = 0;
  };
  const report = () => {
    clear();
    if (current()) {
      lost();
    }
  };
  const disconnected = () => {
    if (timer) {
      return;
    }
    unsteady();
    timer = setTimeout(() => {
      timer = 0;
      if (current() && pc.iceConnectionState === 'disconnected') {
        lost();
      }
    }, graceMs);
  };

  pc.addEventListener('connectionstatechange', () => {
    if (!current()) {
      return;
    }
    const state = pc.connectionState;
    if (state === 'connected') {
      clear();
      connected();
    } else if (state === 'disconnected') {
      disconnected();
    } else if (state === 'failed' || state === 'closed') {
      report();
    }
  });

  pc.addEventListener('iceconnectionstatechange', () => {
    if (!current()) {
      return;
    }
    const state = pc.iceConnectionState;
    if (state === 'disconnected') {
      disconnected();
    } else if (state === 'connected' || state === 'completed') {
      clear();
    } else if (state === 'failed' || state === 'closed') {
      report();
    }
  });

  return {
    watchDtls() {
      // The transport exists once descriptions are applied; with BUNDLE every sender shares it.
      const sender = pc.getSenders().find((s) => s.transport);
      const transport = sender && sender.transport;
      if (transport) {
        transport.addEventListener('statechange', () => {
          if (transport.state === 'closed' || transport.state === 'failed') {
            report();
          }
        });
      }
    },
    deadline(ms) {
      clear();
      timer = setTimeout(() => {
        timer = 0;
        if (current() && pc.connectionState !== 'connected') {
          lost();
        }
      }, ms);
    },
    stop: clear,
  };
}
