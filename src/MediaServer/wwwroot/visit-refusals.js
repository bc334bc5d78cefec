// Why a join was refused, in plain words for the /visit page. Decided by the problem's type slug (RFC 9457 §3.1.1), so the
// page never reads the server's English: visit-terminated (an officer ended it) and visit-over (it ended on schedule, or
// everybody left) are both 410 and say different things. A problem without a type (about:blank) is read by its status.

const REFUSALS = {
  'visit-terminated': () => ['The facility ended this visit', 'If you have questions about this visit, please contact the facility.', {}],
  'visit-over': (d) => ['The visit has ended', d, {}],
  unauthorized: () => ['This join code does not work', 'It may have expired. Please ask for a new join code.', { newCode: true }],
  forbidden: (d) => ['You cannot join this visit now', d || 'The visit may not have started yet.', { rejoin: true, newCode: true }],
  'not-found': () => ['This visit was not found', 'Please check your join code.', { newCode: true }],
  'token-in-use': (d) => ['This join code is in use on another device', d || 'Join from the device that first used it.', { rejoin: true, newCode: true }],
  'no-common-codec': (d) => ['This device cannot join this visit', d || 'It does not support the video or sound format the others use.', {}],
  'webrtc-disabled': (d) => ['Joining from a web browser is not available yet', d, {}],
};
Object.assign(REFUSALS, {
  'token-expired': () => ['This join code has expired', 'A join code works only around the time of its visit. If you have another visit booked, use the join code you were given for it.', { newCode: true }],
  'wrong-visit': REFUSALS.forbidden,
  'too-early': (d, opensAt) => ['This visit has not opened yet', opensWords(opensAt) || d, { rejoin: true }],
  'token-outdated': REFUSALS.forbidden,
  'already-connected': REFUSALS['token-in-use'],
  'no-usable-media': REFUSALS['no-common-codec'],
});
const REFUSALS_BY_STATUS = {
  410: REFUSALS['visit-over'],
  401: REFUSALS.unauthorized,
  403: REFUSALS.forbidden,
  404: REFUSALS['not-found'],
  409: REFUSALS['token-in-use'],
  422: REFUSALS['no-common-codec'],
  501: REFUSALS['webrtc-disabled'],
};

/** "You can join from 9:45 AM on Tuesday 8 December. Come back then with the same join code.", in this device's local time. */
export function opensWords(opensAt) {
  const at = new Date(opensAt);
  if (!opensAt || Number.isNaN(at.getTime())) {
    return '';
  }
  const time = new Intl.DateTimeFormat(undefined, { hour: 'numeric', minute: '2-digit' }).format(at);
  const day = new Intl.DateTimeFormat(undefined, { weekday: 'long', day: 'numeric', month: 'long' }).format(at);
  return `You can join from ${time} on ${day}. Come back then with the same join code.`;
}

/** What the page says of a refused join (an ApiError from common/api.js): [title, detail, { rejoin, newCode }]. */
export function refusalFor(problem) {
  const explain = REFUSALS[problem.slug] || REFUSALS_BY_STATUS[problem.status]
    || ((d) => ['Could not join the visit', d || `The server answered ${problem.status}.`, { rejoin: true }]);
  return explain(problem.detail, problem.opensAt);
}
