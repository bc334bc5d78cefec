// Small things every page does with its own markup: find elements, say a status, show an error.

export const $ = (id) => document.getElementById(id);

/** body[data-state]: what the page is doing, for its stylesheet and for tests. */
export function setState(state) {
  document.body.dataset.state = state;
}

/** Sets the text of a polite status line (role="status"). */
export function sayIn(element) {
  return (text) => {
    element.textContent = text;
  };
}

/** Shows a text in an alert element (role="alert"), or hides it when the text is empty. */
export function showIn(element) {
  return (text) => {
    element.textContent = text;
    element.hidden = !text;
  };
}

/** Seconds as h:mm:ss or m:ss, cut to the whole second as a media player shows a position. */
export function clock(seconds) {
  const total = Math.max(0, Math.floor(seconds));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = String(total % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${s}` : `${m}:${s}`;
}
