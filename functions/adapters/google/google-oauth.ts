import { OAuth2Client } from 'google-auth-library';
import { GOOGLE_CALENDAR_SCOPES } from '../../shared/booking-config.ts';
import { NoRefreshTokenError, type CalendarConsent } from './google-consent.ts';
import { NO_TRANSPORT_RETRIES } from './google-calendar.ts';
import type { GoogleEndpoints } from './google-endpoints.ts';

export { NoRefreshTokenError } from './google-consent.ts';

export interface GoogleOAuthClientSettings {
  readonly clientId: string;
  readonly clientSecret: string;
  /** The web function's callback URL, registered with the OAuth client. */
  readonly redirectUri: string;
  readonly endpoints: GoogleEndpoints;
}

/**
 * The OAuth side of Google, kept apart from the Calendar calls: the consent link, the code
 * exchange, and an authorized client for a stored refresh token.
 */
export class GoogleOAuth implements CalendarConsent {
  constructor(private readonly settings: GoogleOAuthClientSettings) {}

  /** Google's consent page: offline access (a refresh token), the two calendar scopes, the partner as hint. */
  consentUrl(state: string, loginHint: string): string {
    return this.client().generateAuthUrl({
      access_type: 'offline',
      // Always ask, so Google issues a refresh token even if the partner consented before.
      prompt: 'consent',
      scope: [...GOOGLE_CALENDAR_SCOPES],
      state,
      login_hint: loginHint,
    });
  }

  async exchangeCode(code: string): Promise<{ refreshToken: string }> {
    const { tokens } = await this.client().getToken(code);
    if (!tokens.refresh_token) throw new NoRefreshTokenError('Google returned no refresh token; the consent must allow offline access');
    return { refreshToken: tokens.refresh_token };
  }

  /** A client that refreshes its access token from the partner's refresh token as needed. */
  authorizedClient(refreshToken: string): OAuth2Client {
    const client = this.client();
    client.setCredentials({ refresh_token: refreshToken });
    return client;
  }

  private client(): OAuth2Client {
    const { endpoints } = this.settings;
    return new OAuth2Client({
      // No retries of its own for token requests: the calendar adapter's bounded retries wrap every
      // call, token refresh included; with both, a failing token endpoint got 16 requests per call.
      transporterOptions: NO_TRANSPORT_RETRIES,
      clientId: this.settings.clientId,
      clientSecret: this.settings.clientSecret,
      redirectUri: this.settings.redirectUri,
      endpoints: {
        oauth2AuthBaseUrl: endpoints.oauth2AuthBaseUrl,
        oauth2TokenUrl: endpoints.oauth2TokenUrl,
        oauth2RevokeUrl: endpoints.oauth2RevokeUrl,
        tokenInfoUrl: endpoints.tokenInfoUrl,
      },
    });
  }
}
