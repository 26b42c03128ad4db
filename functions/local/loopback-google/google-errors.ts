import type { ValidationIssue } from './discovery-validator.ts';

/**
 * Errors in the shapes Google returns them (https://developers.google.com/calendar/api/guides/errors):
 * the API's `{"error":{"code","message","errors":[{domain,reason,message,...}],"status"}}` and
 * the OAuth endpoints' `{"error":"invalid_grant","error_description":"..."}`.
 */

export interface GoogleErrorItem {
  readonly domain: string;
  readonly reason: string;
  readonly message: string;
  readonly location?: string;
  readonly locationType?: string;
}

export interface GoogleErrorBody {
  readonly error: {
    readonly code: number;
    readonly message: string;
    readonly errors: readonly GoogleErrorItem[];
    readonly status: string;
  };
}

/** An API error that a handler throws; the server turns it into the response. */
export class GoogleApiError extends Error {
  override readonly name = 'GoogleApiError';

  constructor(
    readonly code: number,
    readonly items: readonly GoogleErrorItem[],
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(items[0]?.message ?? `HTTP ${code}`);
  }

  get body(): GoogleErrorBody {
    return { error: { code: this.code, message: this.message, errors: this.items, status: STATUS_BY_CODE[this.code] ?? 'UNKNOWN' } };
  }
}

const STATUS_BY_CODE: Readonly<Record<number, string>> = {
  400: 'INVALID_ARGUMENT',
  401: 'UNAUTHENTICATED',
  403: 'PERMISSION_DENIED',
  404: 'NOT_FOUND',
  405: 'METHOD_NOT_ALLOWED',
  409: 'ALREADY_EXISTS',
  410: 'NOT_FOUND',
  412: 'FAILED_PRECONDITION',
  429: 'RESOURCE_EXHAUSTED',
  500: 'INTERNAL',
  501: 'UNIMPLEMENTED',
  503: 'UNAVAILABLE',
};

const item = (domain: string, reason: string, message: string, extra: Partial<GoogleErrorItem> = {}): GoogleErrorItem => ({ domain, reason, message, ...extra });

const BEARER_REALM = 'Bearer realm="https://accounts.google.com/"';

export const apiErrors = {
  validation: (issues: readonly ValidationIssue[]) =>
    new GoogleApiError(
      400,
      issues.map((issue) => {
        const where = issue.location ? { location: issue.location, locationType: issue.locationType ?? 'parameter' } : {};
        return item('global', issue.reason, issue.message, where);
      }),
    ),
  invalid: (message: string, location?: string) => new GoogleApiError(400, [item('global', 'invalid', message, location ? { location, locationType: 'parameter' } : {})]),
  required: (message: string) => new GoogleApiError(400, [item('global', 'required', message)]),
  badRequest: (message: string) => new GoogleApiError(400, [item('global', 'badRequest', message)]),
  parseError: () => new GoogleApiError(400, [item('global', 'parseError', 'Parse Error')]),
  timeRangeEmpty: (location = 'timeMax') =>
    new GoogleApiError(400, [item('calendar', 'timeRangeEmpty', 'The specified time range is empty.', { location, locationType: 'parameter' })]),
  timeRangeTooLong: () => new GoogleApiError(400, [item('calendar', 'timeRangeTooLong', 'The requested time range is too long.', { location: 'timeMax', locationType: 'parameter' })]),
  loginRequired: () =>
    new GoogleApiError(
      401,
      [item('global', 'required', 'Login Required.', { location: 'Authorization', locationType: 'header' })],
      { 'www-authenticate': BEARER_REALM },
    ),
  invalidCredentials: () =>
    new GoogleApiError(401, [item('global', 'authError', 'Invalid Credentials', { location: 'Authorization', locationType: 'header' })], {
      'www-authenticate': `${BEARER_REALM}, error="invalid_token"`,
    }),
  insufficientScopes: (scopes: readonly string[]) =>
    new GoogleApiError(403, [item('global', 'insufficientPermissions', 'Insufficient Permission')], {
      'www-authenticate': `${BEARER_REALM}, error="insufficient_scope", scope="${scopes.join(' ')}"`,
    }),
  forbidden: (message: string) => new GoogleApiError(403, [item('global', 'forbidden', message)]),
  rateLimitExceeded: (code: 403 | 429) => new GoogleApiError(code, [item('usageLimits', 'rateLimitExceeded', 'Rate Limit Exceeded')]),
  userRateLimitExceeded: () => new GoogleApiError(403, [item('usageLimits', 'userRateLimitExceeded', 'User Rate Limit Exceeded')]),
  notFound: () => new GoogleApiError(404, [item('global', 'notFound', 'Not Found')]),
  methodNotAllowed: () => new GoogleApiError(405, [item('global', 'httpMethodNotAllowed', 'HTTP method not allowed')]),
  duplicate: () => new GoogleApiError(409, [item('global', 'duplicate', 'The requested identifier already exists.')]),
  deleted: () => new GoogleApiError(410, [item('global', 'deleted', 'Resource has been deleted')]),
  fullSyncRequired: () => new GoogleApiError(410, [item('global', 'fullSyncRequired', 'Sync token is no longer valid, a full sync is required.')]),
  backendError: () => new GoogleApiError(500, [item('global', 'backendError', 'Backend Error')]),
  serviceUnavailable: () => new GoogleApiError(503, [item('global', 'backendError', 'The service is currently unavailable.')]),
  notImplemented: (methodId: string) =>
    new GoogleApiError(501, [item('global', 'notImplemented', `${methodId} is not implemented by the loopback Google Calendar server.`)]),
} as const;

/** OAuth 2.0 token-endpoint errors (RFC 6749 section 5.2), worded as Google words them. */
export class OAuthError extends Error {
  override readonly name = 'OAuthError';

  constructor(
    readonly status: number,
    readonly error: string,
    readonly description: string,
  ) {
    super(`${error}: ${description}`);
  }

  get body(): { error: string; error_description: string } {
    return { error: this.error, error_description: this.description };
  }
}

export const oauthErrors = {
  invalidGrantRevoked: () => new OAuthError(400, 'invalid_grant', 'Token has been expired or revoked.'),
  invalidGrantCode: () => new OAuthError(400, 'invalid_grant', 'Bad Request'),
  invalidGrantCodeVerifier: () => new OAuthError(400, 'invalid_grant', 'Invalid code verifier.'),
  invalidClient: () => new OAuthError(401, 'invalid_client', 'Unauthorized'),
  clientNotFound: () => new OAuthError(401, 'invalid_client', 'The OAuth client was not found.'),
  redirectUriMismatch: () => new OAuthError(400, 'redirect_uri_mismatch', 'Bad Request'),
  invalidRequest: (description: string) => new OAuthError(400, 'invalid_request', description),
  unsupportedGrantType: (grantType: string) => new OAuthError(400, 'unsupported_grant_type', `Invalid grant_type: ${grantType}`),
  internalFailure: () => new OAuthError(500, 'internal_failure', 'Backend Error'),
  temporarilyUnavailable: () => new OAuthError(503, 'temporarily_unavailable', 'The service is currently unavailable.'),
  rateLimited: () => new OAuthError(429, 'rate_limit_exceeded', 'Rate Limit Exceeded'),
} as const;
