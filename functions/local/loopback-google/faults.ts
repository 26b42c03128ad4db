import { randomBytes } from 'node:crypto';
import { apiErrors, oauthErrors, type GoogleApiError, type OAuthError } from './google-errors.ts';

/**
 * Faults queued for the next matching requests. Each fault answers `times` requests (default 1)
 * and is then used up; the oldest matching fault goes first. Control routes never match.
 */

export type FaultKind =
  /** 429 `rateLimitExceeded` (domain usageLimits). */
  | 'rateLimit'
  /** 403 `rateLimitExceeded`: Calendar's per-user/per-calendar rate limit. */
  | 'rateLimit403'
  /** 403 `userRateLimitExceeded`. */
  | 'userRateLimit'
  /** 500 `backendError`. */
  | 'backendError'
  /** 503 `backendError` ("The service is currently unavailable."). */
  | 'unavailable'
  /** 401 `authError` ("Invalid Credentials"); on the token endpoint 401 `invalid_client`. */
  | 'unauthorized'
  /** Token endpoint: 400 `invalid_grant` "Token has been expired or revoked." (an API call: 401). */
  | 'invalidGrant'
  /** Revokes the grant of whoever makes the request, then handles it normally (so it fails as revoked). */
  | 'revokeGrant';

export type Fault = FaultKind | { readonly delayMs: number };

export interface FaultMatch {
  /** HTTP method, e.g. `POST`. */
  readonly method?: string;
  /** The request path: exact, with `*` wildcards (`/calendar/v3/calendars/*\/events*`), or a RegExp. */
  readonly path?: string | RegExp;
  /**
   * The operation: a discovery method id such as `calendar.events.insert` or
   * `calendar.freebusy.query`, or `oauth.token`, `oauth.authorize`, `oauth.revoke`, `oauth.tokeninfo`.
   */
  readonly operation?: string;
}

export interface FaultSpec {
  readonly fault: Fault;
  readonly match?: FaultMatch;
  /** How many matching requests this fault answers (default 1). */
  readonly times?: number;
}

export interface QueuedFault {
  readonly id: string;
  readonly fault: Fault;
  readonly match: FaultMatch;
  remaining: number;
  used: number;
}

export interface RequestTarget {
  readonly method: string;
  readonly path: string;
  readonly operation: string;
}

export class FaultQueue {
  private queue: QueuedFault[] = [];

  add(spec: FaultSpec): QueuedFault {
    const times = spec.times ?? 1;
    if (!Number.isInteger(times) || times < 1) throw new RangeError('times must be a positive integer');
    if (typeof spec.fault === 'object' && !(Number.isFinite(spec.fault.delayMs) && spec.fault.delayMs >= 0)) throw new RangeError('delayMs must be a non-negative number');
    const queued: QueuedFault = { id: randomBytes(6).toString('hex'), fault: spec.fault, match: spec.match ?? {}, remaining: times, used: 0 };
    this.queue.push(queued);
    return queued;
  }

  /** Takes one use of the first fault matching the request, if any. */
  take(target: RequestTarget): Fault | undefined {
    const fault = this.queue.find((candidate) => candidate.remaining > 0 && matches(candidate.match, target));
    if (!fault) return undefined;
    fault.remaining -= 1;
    fault.used += 1;
    if (fault.remaining === 0) this.queue = this.queue.filter((candidate) => candidate !== fault);
    return fault.fault;
  }

  pending(): QueuedFault[] {
    return this.queue.map((fault) => ({ ...fault }));
  }

  clear(): void {
    this.queue = [];
  }
}

function matches(match: FaultMatch, target: RequestTarget): boolean {
  if (match.method !== undefined && match.method.toUpperCase() !== target.method) return false;
  if (match.operation !== undefined && match.operation !== target.operation) return false;
  if (match.path !== undefined) {
    const pattern = typeof match.path === 'string' ? wildcard(match.path) : match.path;
    if (!pattern.test(target.path)) return false;
  }
  return true;
}

function wildcard(path: string): RegExp {
  return new RegExp(`^${path.split('*').map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);
}

/** The error an API request gets for a status fault. */
export function apiFaultError(kind: Exclude<FaultKind, 'revokeGrant'>): GoogleApiError {
  switch (kind) {
    case 'rateLimit':
      return apiErrors.rateLimitExceeded(429);
    case 'rateLimit403':
      return apiErrors.rateLimitExceeded(403);
    case 'userRateLimit':
      return apiErrors.userRateLimitExceeded();
    case 'backendError':
      return apiErrors.backendError();
    case 'unavailable':
      return apiErrors.serviceUnavailable();
    case 'unauthorized':
    case 'invalidGrant':
      return apiErrors.invalidCredentials();
  }
}

/** The error the OAuth endpoints answer for a status fault, in the OAuth error format. */
export function oauthFaultError(kind: Exclude<FaultKind, 'revokeGrant'>): OAuthError {
  switch (kind) {
    case 'rateLimit':
    case 'rateLimit403':
    case 'userRateLimit':
      return oauthErrors.rateLimited();
    case 'backendError':
      return oauthErrors.internalFailure();
    case 'unavailable':
      return oauthErrors.temporarilyUnavailable();
    case 'unauthorized':
      return oauthErrors.invalidClient();
    case 'invalidGrant':
      return oauthErrors.invalidGrantRevoked();
  }
}
