// The join code on the /visit page: read from the form, the address or the tab's kept copy, checked to be a visit's code
// before anything is sent, with a plain message in the form when it is not.
import { cleanToken, readClaims } from './common/auth.js';

function showTokenError(ui, text) {
  ui.tokenError.textContent = text;
  ui.tokenError.hidden = false;
  ui.token.setAttribute('aria-invalid', 'true');
  ui.token.focus();
}

/** The code and its claims, or null (the form then says what is wrong with it). */
export function readJoinCode(ui, raw) {
  const token = cleanToken(raw);
  if (!token) {
    showTokenError(ui, 'Please paste your join code first.');
    return null;
  }
  const claims = readClaims(token);
  if (!claims || typeof claims.visit !== 'string' || !claims.visit) {
    showTokenError(ui, 'This does not look like a join code for a visit. Please check that you copied all of it.');
    return null;
  }
  ui.tokenError.hidden = true;
  ui.token.removeAttribute('aria-invalid');
  return { token, claims };
}
