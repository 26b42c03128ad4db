import type { AuthorizationRequest } from './oauth.ts';

/**
 * The consent screen. There is no Google account on a laptop, so the page asks which email to
 * act as (the `login_hint`, or the default local user) and posts the answer back; only that POST
 * issues a code, so a link scanner that follows the GET changes nothing.
 */

export const CONSENT_DECISION_PATH = '/o/oauth2/v2/auth/decision';

export function consentPage(input: {
  readonly consentId: string;
  readonly request: AuthorizationRequest;
  readonly defaultUser: string;
  readonly scopeDescriptions: Readonly<Record<string, string>>;
}): string {
  const { request } = input;
  const client = request.client.name ?? request.client.clientId;
  const user = request.loginHint ?? input.defaultUser;
  const details = request.scopes.map((scope) => `<li>${escapeHtml(input.scopeDescriptions[scope] ?? scope)}</li>`).join('');
  return `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Sign in - Google Accounts (loopback)</title>
<style>body{font-family:system-ui,sans-serif;max-width:34rem;margin:3rem auto;padding:0 1rem;color:#202124}
h1{font-size:1.3rem;font-weight:500}ul{padding-left:1.2rem}button{font-size:1rem;padding:.5rem 1.2rem;margin-right:.5rem}
label{display:block;margin:1rem 0}input{font-size:1rem;padding:.3rem;width:100%}small{color:#5f6368}</style></head>
<body>
<h1 id="question">Allow ${escapeHtml(client)} to ${escapeHtml(describeAccess(request.scopes))} for ${escapeHtml(user)}?</h1>
<ul id="scopes">${details}</ul>
<form method="post" action="${CONSENT_DECISION_PATH}">
<input type="hidden" name="consent" value="${escapeHtml(input.consentId)}">
<label>Google account <input type="email" name="login" value="${escapeHtml(user)}" required></label>
<button type="submit" name="decision" value="allow" id="allow">Allow</button>
<button type="submit" name="decision" value="deny" id="deny">Cancel</button>
</form>
<p><small>Local loopback Google: no real account is used. The answer goes to ${escapeHtml(request.redirectUri)}.</small></p>
</body>
</html>
`;
}

export function errorPage(status: number, error: string, description: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Error ${status}: ${escapeHtml(error)}</title></head>
<body><h1>Access blocked: this request is invalid</h1>
<p id="error">Error ${status}: ${escapeHtml(error)}</p><p id="description">${escapeHtml(description)}</p></body></html>
`;
}

/** "see your free/busy and manage events", from the requested scopes. */
function describeAccess(scopes: readonly string[]): string {
  const has = (pattern: RegExp): boolean => scopes.some((scope) => pattern.test(scope));
  const parts: string[] = [];
  if (has(/\/auth\/calendar$/)) parts.push('see, edit, share and delete all your calendars');
  else {
    if (has(/freebusy$/)) parts.push('see your free/busy');
    if (has(/calendar\.events$|calendar\.events\.owned$/)) parts.push('manage events');
    else if (has(/calendar\.events\.readonly$|calendar\.readonly$/)) parts.push('see your events');
  }
  if (parts.length === 0) parts.push('access your Google Account');
  return parts.join(' and ');
}

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (character) => `&#${character.charCodeAt(0)};`);
}
