/**
 * What the web function needs of Google's OAuth without loading Google's client library (it is
 * loaded when a request first needs it): the consent port, its error for a consent without
 * offline access, and the encryption context refresh tokens are sealed under.
 */

/** Google's consent page and the exchange of the code it returns (`GoogleOAuth`). */
export interface CalendarConsent {
  consentUrl(state: string, loginHint: string): string | Promise<string>;
  exchangeCode(code: string): Promise<{ refreshToken: string }>;
}

/** Google gave no refresh token: the consent did not grant offline access. */
export class NoRefreshTokenError extends Error {
  override readonly name = 'NoRefreshTokenError';
}

/** The encryption context a partner's refresh token is sealed under. */
export const tokenContext = (partnerEmail: string) => ({ purpose: 'google-refresh-token', partner: partnerEmail });
