import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { apiErrors, oauthErrors, OAuthError } from './google-errors.ts';

/**
 * Google's OAuth 2.0 authorization server, for one machine: registered clients, the consent step
 * (an authorization code), the token endpoint (authorization_code and refresh_token grants),
 * bearer-token checks for API calls, and revocation.
 *
 * Google behaviour kept on purpose, because an app must cope with it:
 * - a refresh token is issued only with `access_type=offline`, and only when the user has no live
 *   grant for the client yet or the request says `prompt=consent`;
 * - codes are single use and expire after 10 minutes; PKCE (`S256`, `plain`) is checked when used;
 * - revoking a grant invalidates its refresh tokens and every access token issued from it.
 */

export interface OAuthClientConfig {
  readonly clientId: string;
  readonly clientSecret: string;
  /** Exact redirect URIs, as registered in the Google Cloud console. */
  readonly redirectUris?: readonly string[];
  /** Google's rule for desktop clients: any `http://127.0.0.1|localhost|[::1]:<port>/<path>`. */
  readonly allowLoopbackRedirects?: boolean;
  /** Shown on the consent page. */
  readonly name?: string;
}

export interface AuthorizationRequest {
  readonly client: OAuthClientConfig;
  readonly redirectUri: string;
  readonly scopes: readonly string[];
  readonly state: string | undefined;
  readonly accessType: 'online' | 'offline';
  readonly prompt: readonly string[];
  readonly loginHint: string | undefined;
  readonly codeChallenge: string | undefined;
  readonly codeChallengeMethod: 'S256' | 'plain' | undefined;
}

/** An authorization request that cannot be sent back to the client: Google shows an error page. */
export class ConsentError extends Error {
  override readonly name = 'ConsentError';

  constructor(
    readonly status: number,
    readonly error: string,
    readonly description: string,
  ) {
    super(`${error}: ${description}`);
  }
}

export interface TokenResponse {
  access_token: string;
  expires_in: number;
  scope: string;
  token_type: 'Bearer';
  refresh_token?: string;
}

export interface Grant {
  readonly id: string;
  readonly email: string;
  readonly clientId: string;
  scopes: string[];
  refreshTokens: string[];
  revoked: boolean;
  readonly createdAt: number;
}

interface AccessTokenRecord {
  readonly grantId: string;
  expiresAt: number;
}

interface CodeRecord {
  readonly request: AuthorizationRequest;
  readonly email: string;
  readonly expiresAt: number;
  used: boolean;
}

export interface OAuthSnapshot {
  readonly clients: OAuthClientConfig[];
  readonly grants: Grant[];
  readonly accessTokens: Record<string, AccessTokenRecord>;
}

export interface Caller {
  readonly email: string;
  readonly clientId: string;
  readonly scopes: readonly string[];
}

const CODE_LIFETIME_MS = 10 * 60_000;
const PENDING_CONSENT_LIFETIME_MS = 30 * 60_000;
const IDENTITY_SCOPES = ['openid', 'email', 'profile', 'https://www.googleapis.com/auth/userinfo.email', 'https://www.googleapis.com/auth/userinfo.profile'];

export class OAuthServer {
  private clients = new Map<string, OAuthClientConfig>();
  private grants = new Map<string, Grant>();
  private accessTokens = new Map<string, AccessTokenRecord>();
  private readonly codes = new Map<string, CodeRecord>();
  private readonly pendingConsents = new Map<string, { request: AuthorizationRequest; expiresAt: number }>();
  private readonly knownScopes: ReadonlySet<string>;

  constructor(
    private readonly options: {
      readonly now: () => number;
      readonly accessTokenLifetimeSeconds: number;
      /** Scopes the API defines (the discovery document's `auth.oauth2.scopes`). */
      readonly apiScopes: readonly string[];
      readonly onUserAuthorized: (email: string) => void;
      readonly onChange: () => void;
    },
  ) {
    this.knownScopes = new Set([...options.apiScopes, ...IDENTITY_SCOPES]);
  }

  registerClient(client: OAuthClientConfig): void {
    this.clients.set(client.clientId, { ...client });
    this.options.onChange();
  }

  // ---- consent -------------------------------------------------------------------------------

  /** Checks `GET /o/oauth2/v2/auth` parameters and parks the request until the user answers. */
  beginConsent(query: URLSearchParams): { consentId: string; request: AuthorizationRequest } {
    const clientId = query.get('client_id');
    const client = clientId ? this.clients.get(clientId) : undefined;
    if (!client) throw new ConsentError(401, 'invalid_client', 'The OAuth client was not found.');
    const redirectUri = query.get('redirect_uri') ?? '';
    if (!this.redirectAllowed(client, redirectUri)) {
      throw new ConsentError(400, 'redirect_uri_mismatch', `The redirect URI in the request, ${redirectUri}, does not match the ones authorized for the OAuth client.`);
    }
    const responseType = query.get('response_type');
    if (responseType !== 'code') throw new ConsentError(400, 'unsupported_response_type', `Invalid response_type: ${responseType ?? '(missing)'}. This server supports "code".`);
    const scopes = (query.get('scope') ?? '').split(/\s+/).filter(Boolean);
    if (scopes.length === 0) throw new ConsentError(400, 'invalid_request', 'Missing required parameter: scope');
    const unknown = scopes.filter((scope) => !this.knownScopes.has(scope));
    if (unknown.length > 0) throw new ConsentError(400, 'invalid_scope', `Some requested scopes were invalid: ${unknown.join(', ')}`);
    const accessType = query.get('access_type') ?? 'online';
    if (accessType !== 'online' && accessType !== 'offline') throw new ConsentError(400, 'invalid_request', `Invalid access_type: ${accessType}`);
    const method = query.get('code_challenge_method') ?? (query.get('code_challenge') ? 'plain' : undefined);
    if (method !== undefined && method !== 'S256' && method !== 'plain') throw new ConsentError(400, 'invalid_request', `Invalid code_challenge_method: ${method}`);
    const request: AuthorizationRequest = {
      client,
      redirectUri,
      scopes,
      state: query.get('state') ?? undefined,
      accessType,
      prompt: (query.get('prompt') ?? '').split(/\s+/).filter(Boolean),
      loginHint: query.get('login_hint') ?? undefined,
      codeChallenge: query.get('code_challenge') ?? undefined,
      codeChallengeMethod: method,
    };
    const consentId = randomToken(18);
    this.pendingConsents.set(consentId, { request, expiresAt: this.options.now() + PENDING_CONSENT_LIFETIME_MS });
    return { consentId, request };
  }

  /** The user's answer on the consent page: where the browser goes next. */
  finishConsent(consentId: string, decision: 'allow' | 'deny', email: string): URL {
    const pending = this.pendingConsents.get(consentId);
    if (!pending || pending.expiresAt < this.options.now()) throw new ConsentError(400, 'invalid_request', 'This consent request has expired. Start again from the application.');
    this.pendingConsents.delete(consentId);
    const { request } = pending;
    const target = new URL(request.redirectUri);
    if (decision === 'deny') {
      target.searchParams.append('error', 'access_denied');
    } else {
      const login = email.trim().toLowerCase();
      if (!/^[^\s@]+@[^\s@]+$/.test(login)) throw new ConsentError(400, 'invalid_request', `Not an email address: ${email}`);
      const code = `4/${randomToken(32)}`;
      this.codes.set(code, { request, email: login, expiresAt: this.options.now() + CODE_LIFETIME_MS, used: false });
      this.options.onUserAuthorized(login);
      target.searchParams.append('code', code);
      target.searchParams.append('scope', request.scopes.join(' '));
    }
    // The state goes back exactly as the client sent it (URLSearchParams round-trips it).
    if (request.state !== undefined) target.searchParams.append('state', request.state);
    return target;
  }

  // ---- token endpoint --------------------------------------------------------------------------

  /** `POST /token`. `form` is the urlencoded body; `authorization` the request's header, if any. */
  token(form: URLSearchParams, authorization: string | undefined): TokenResponse {
    const client = this.authenticateClient(form, authorization);
    const grantType = form.get('grant_type');
    if (grantType === 'authorization_code') return this.exchangeCode(client, form);
    if (grantType === 'refresh_token') return this.refresh(client, form);
    if (!grantType) throw oauthErrors.invalidRequest('Missing required parameter: grant_type');
    throw oauthErrors.unsupportedGrantType(grantType);
  }

  /** A grant without the consent page, for tests and local tools: what a code exchange returns. */
  authorizeDirectly(input: { email: string; clientId: string; scopes: readonly string[] }): TokenResponse {
    const client = this.clients.get(input.clientId);
    if (!client) throw new RangeError(`unknown OAuth client ${input.clientId}`);
    const email = input.email.toLowerCase();
    this.options.onUserAuthorized(email);
    const grant = this.grantFor(email, client.clientId, input.scopes, true);
    return this.issue(grant, grant.refreshTokens.at(-1));
  }

  /** `POST /revoke`: a refresh or access token; revokes the whole grant as Google does. */
  revokeToken(token: string): boolean {
    const grant = this.grantOfToken(token);
    if (!grant || grant.revoked) return false;
    this.revokeGrant(grant);
    return true;
  }

  /** Revokes every grant of a user (the user removed the app's access in their Google account). */
  revokeUser(email: string, clientId?: string): number {
    let count = 0;
    for (const grant of this.grants.values()) {
      if (grant.email === email.toLowerCase() && !grant.revoked && (clientId === undefined || grant.clientId === clientId)) {
        this.revokeGrant(grant);
        count += 1;
      }
    }
    return count;
  }

  /** Makes access tokens expire now (all, or one user's), so the next API call needs a refresh. */
  expireAccessTokens(email?: string): number {
    let count = 0;
    for (const record of this.accessTokens.values()) {
      const grant = this.grants.get(record.grantId);
      if (email === undefined || grant?.email === email.toLowerCase()) {
        record.expiresAt = Math.min(record.expiresAt, this.options.now() - 1);
        count += 1;
      }
    }
    this.options.onChange();
    return count;
  }

  /** The caller behind `Authorization: Bearer ...`, or the API's 401. */
  authenticate(accessToken: string | undefined): Caller {
    if (!accessToken) throw apiErrors.loginRequired();
    const record = this.accessTokens.get(accessToken);
    const grant = record ? this.grants.get(record.grantId) : undefined;
    if (!record || !grant || grant.revoked || record.expiresAt <= this.options.now()) throw apiErrors.invalidCredentials();
    return { email: grant.email, clientId: grant.clientId, scopes: grant.scopes };
  }

  /** `GET /tokeninfo?access_token=...` as Google answers it. */
  tokenInfo(accessToken: string): Record<string, string> {
    const record = this.accessTokens.get(accessToken);
    const grant = record ? this.grants.get(record.grantId) : undefined;
    const now = this.options.now();
    if (!record || !grant || grant.revoked || record.expiresAt <= now) throw new OAuthError(400, 'invalid_token', 'Invalid Value');
    return {
      azp: grant.clientId,
      aud: grant.clientId,
      sub: subjectOf(grant.email),
      scope: grant.scopes.join(' '),
      exp: String(Math.floor(record.expiresAt / 1000)),
      expires_in: String(Math.max(0, Math.floor((record.expiresAt - now) / 1000))),
      email: grant.email,
      email_verified: 'true',
      access_type: grant.refreshTokens.length > 0 ? 'offline' : 'online',
    };
  }

  /** Which grant a refresh or access token belongs to (for the revoke-grant fault). */
  grantOfToken(token: string): Grant | undefined {
    const viaAccess = this.accessTokens.get(token);
    if (viaAccess) return this.grants.get(viaAccess.grantId);
    return [...this.grants.values()].find((grant) => grant.refreshTokens.includes(token));
  }

  revokeGrant(grant: Grant): void {
    grant.revoked = true;
    for (const [token, record] of this.accessTokens) if (record.grantId === grant.id) this.accessTokens.delete(token);
    this.options.onChange();
  }

  listGrants(): Grant[] {
    return structuredClone([...this.grants.values()]);
  }

  snapshot(): OAuthSnapshot {
    return structuredClone({ clients: [...this.clients.values()], grants: [...this.grants.values()], accessTokens: Object.fromEntries(this.accessTokens) });
  }

  restore(snapshot: OAuthSnapshot): void {
    for (const client of snapshot.clients) this.clients.set(client.clientId, client);
    this.grants = new Map(snapshot.grants.map((grant) => [grant.id, structuredClone(grant)]));
    this.accessTokens = new Map(Object.entries(structuredClone(snapshot.accessTokens)));
  }

  /** Forgets grants, tokens and codes; registered clients stay. */
  reset(): void {
    this.grants.clear();
    this.accessTokens.clear();
    this.codes.clear();
    this.pendingConsents.clear();
    this.options.onChange();
  }

  // ---- internals -------------------------------------------------------------------------------

  private exchangeCode(client: OAuthClientConfig, form: URLSearchParams): TokenResponse {
    const code = form.get('code');
    if (!code) throw oauthErrors.invalidRequest('Missing required parameter: code');
    const record = this.codes.get(code);
    if (!record || record.used || record.expiresAt < this.options.now() || record.request.client.clientId !== client.clientId) throw oauthErrors.invalidGrantCode();
    record.used = true;
    const { request } = record;
    if (form.get('redirect_uri') !== request.redirectUri) throw oauthErrors.redirectUriMismatch();
    if (request.codeChallenge !== undefined) {
      const verifier = form.get('code_verifier') ?? '';
      const computed = request.codeChallengeMethod === 'S256' ? createHash('sha256').update(verifier).digest('base64url') : verifier;
      if (!verifier || computed !== request.codeChallenge) throw oauthErrors.invalidGrantCodeVerifier();
    }
    const wantsRefresh = request.accessType === 'offline';
    const existing = this.activeGrant(record.email, client.clientId);
    const newRefreshToken = wantsRefresh && (!existing || existing.refreshTokens.length === 0 || request.prompt.includes('consent'));
    const grant = this.grantFor(record.email, client.clientId, request.scopes, newRefreshToken);
    return this.issue(grant, newRefreshToken ? grant.refreshTokens.at(-1) : undefined);
  }

  private refresh(client: OAuthClientConfig, form: URLSearchParams): TokenResponse {
    const refreshToken = form.get('refresh_token');
    if (!refreshToken) throw oauthErrors.invalidRequest('Missing required parameter: refresh_token');
    const grant = [...this.grants.values()].find((candidate) => candidate.refreshTokens.includes(refreshToken));
    if (!grant || grant.revoked) throw oauthErrors.invalidGrantRevoked();
    if (grant.clientId !== client.clientId) throw new OAuthError(401, 'unauthorized_client', 'Unauthorized');
    return this.issue(grant, undefined);
  }

  private grantFor(email: string, clientId: string, scopes: readonly string[], withNewRefreshToken: boolean): Grant {
    let grant = this.activeGrant(email, clientId);
    if (!grant) {
      grant = { id: randomToken(12), email, clientId, scopes: [], refreshTokens: [], revoked: false, createdAt: this.options.now() };
      this.grants.set(grant.id, grant);
    }
    // Google's include_granted_scopes behaviour: a grant only ever gains scopes.
    grant.scopes = [...new Set([...grant.scopes, ...scopes])];
    if (withNewRefreshToken) grant.refreshTokens.push(`1//${randomToken(48)}`);
    this.options.onChange();
    return grant;
  }

  private issue(grant: Grant, refreshToken: string | undefined): TokenResponse {
    const accessToken = `ya29.${randomToken(64)}`;
    const lifetime = this.options.accessTokenLifetimeSeconds;
    this.accessTokens.set(accessToken, { grantId: grant.id, expiresAt: this.options.now() + lifetime * 1000 });
    this.options.onChange();
    return { access_token: accessToken, expires_in: lifetime, scope: grant.scopes.join(' '), token_type: 'Bearer', ...(refreshToken ? { refresh_token: refreshToken } : {}) };
  }

  private activeGrant(email: string, clientId: string): Grant | undefined {
    return [...this.grants.values()].find((grant) => grant.email === email && grant.clientId === clientId && !grant.revoked);
  }

  /** client_secret_post (google-auth-library's default) or HTTP Basic (ClientSecretBasic). */
  private authenticateClient(form: URLSearchParams, authorization: string | undefined): OAuthClientConfig {
    let clientId = form.get('client_id') ?? undefined;
    let secret = form.get('client_secret') ?? undefined;
    const basic = /^Basic\s+(.+)$/i.exec(authorization ?? '');
    if (basic?.[1]) {
      const decoded = Buffer.from(basic[1], 'base64').toString('utf8');
      const separator = decoded.indexOf(':');
      clientId = decodeURIComponent(decoded.slice(0, separator));
      secret = decodeURIComponent(decoded.slice(separator + 1));
    }
    if (!clientId) throw oauthErrors.invalidRequest('Could not determine client ID from request.');
    const client = this.clients.get(clientId);
    if (!client) throw oauthErrors.clientNotFound();
    if (secret === undefined || !sameSecret(secret, client.clientSecret)) throw oauthErrors.invalidClient();
    return client;
  }

  private redirectAllowed(client: OAuthClientConfig, redirectUri: string): boolean {
    if (client.redirectUris?.includes(redirectUri)) return true;
    if (!client.allowLoopbackRedirects) return false;
    try {
      const url = new URL(redirectUri);
      return url.protocol === 'http:' && ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname);
    } catch {
      return false;
    }
  }
}

function randomToken(bytes: number): string {
  return randomBytes(bytes).toString('base64url');
}

function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** A stable numeric Google account id for an email. */
export function subjectOf(email: string): string {
  const digits = BigInt(`0x${createHash('sha256').update(email).digest('hex').slice(0, 16)}`).toString().padStart(21, '1');
  return digits.slice(0, 21);
}
