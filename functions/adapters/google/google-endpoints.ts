/**
 * Where Google is. Real Google by default; tests and local mode point these at the loopback
 * server. Only these URLs differ: the client, its requests and their validation are the same.
 */
export interface GoogleEndpoints {
  /** Calendar API root, ending with a slash. */
  readonly apiRootUrl: string;
  readonly oauth2AuthBaseUrl: string;
  readonly oauth2TokenUrl: string;
  readonly oauth2RevokeUrl: string;
  readonly tokenInfoUrl: string;
}

export const REAL_GOOGLE: GoogleEndpoints = {
  apiRootUrl: 'https://www.googleapis.com/',
  oauth2AuthBaseUrl: 'https://accounts.google.com/o/oauth2/v2/auth',
  oauth2TokenUrl: 'https://oauth2.googleapis.com/token',
  oauth2RevokeUrl: 'https://oauth2.googleapis.com/revoke',
  tokenInfoUrl: 'https://oauth2.googleapis.com/tokeninfo',
};
