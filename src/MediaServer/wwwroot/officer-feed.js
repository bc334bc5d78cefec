// The officer console's live list: GET /api/officer/events, a text/event-stream read with fetch() so the token travels in the
// Authorization header (EventSource cannot send headers, and a token in a URL ends up in logs).
import { readProblem } from './common/api.js';

// The server sends at least every 2 s; silence for this long means the stream is stuck, so it is reopened.
const FEED_STALL_MS = 10000;

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** One event block (WHATWG HTML §9.2.6): field lines "name: value"; data lines joined with newlines. */
function parseBlock(block) {
  const event = { name: 'message', data: [], retry: null };
  for (const line of block.split('\n')) {
    if (!line || line.startsWith(':')) continue;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'event') event.name = value;
    else if (field === 'data') event.data.push(value);
    else if (field === 'retry' && /^\d+$/.test(value)) event.retry = Number(value);
  }
  return event;
}

/**
 * Follows the stream while <c>current()</c>: <c>open(signal)</c> fetches it; each "visits" event goes to <c>onVisits</c> as
 * parsed JSON; <c>onFeed(state, text)</c> says whether it is live; a 401 or 403 goes to <c>onRefused(status)</c> and ends
 * the loop. A lost or stuck stream is reopened after the server's retry interval. <c>stop()</c> ends it at once.
 */
export function createFeed({ open, current, onVisits, onFeed, onRefused }) {
  let abort = null;
  let retryMs = 2000;

  const onBlock = (block) => {
    const event = parseBlock(block);
    if (event.retry !== null) retryMs = event.retry;
    if (event.name === 'visits' && event.data.length) {
      try {
        onVisits(JSON.parse(event.data.join('\n')));
      } catch (error) {
        console.warn('officer feed: bad event', error);
      }
    }
  };

  async function readOnce(controller) {
    let stall = 0;
    const watchdog = () => {
      clearTimeout(stall);
      stall = setTimeout(() => controller.abort(), FEED_STALL_MS);
    };
    try {
      onFeed('waiting', 'Live updates: connecting');
      watchdog();
      const response = await open(controller.signal);
      if (response.status === 401 || response.status === 403) {
        return response.status;
      }
      if (!response.ok || !response.body) throw await readProblem(response);
      onFeed('live', 'Live updates: on');
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        watchdog();
        buffer += value.replace(/\r\n?/g, '\n');
        let end;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          onBlock(buffer.slice(0, end));
          buffer = buffer.slice(end + 2);
        }
      }
    } catch (error) {
      if (current() && !controller.signal.aborted) console.warn('officer feed:', error);
    } finally {
      clearTimeout(stall);
    }
    return 0;
  }

  return {
    async start() {
      if (abort) abort.abort();
      while (current()) {
        const controller = new AbortController();
        abort = controller;
        const refused = await readOnce(controller);
        if (refused) {
          await onRefused(refused);
          return;
        }
        if (!current() || abort !== controller) return;
        onFeed('lost', 'Live updates: reconnecting…');
        await sleep(retryMs);
      }
    },
    stop() {
      if (abort) abort.abort();
      abort = null;
    },
  };
}
