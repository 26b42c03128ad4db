/**
 * Loopback Google Calendar and Google OAuth server: see README.md beside this file.
 */
export { startLoopbackGoogle, LOCAL_OAUTH_CLIENT, BOOKING_SCOPES } from './server.ts';
export type { LoopbackGoogle, LoopbackGoogleEndpoints, LoopbackGoogleOptions } from './server.ts';
export type { LoopbackGoogleControl, RequestRecord } from './control.ts';
export type { Fault, FaultKind, FaultMatch, FaultSpec, QueuedFault } from './faults.ts';
export type { BusyBlock, Notification, NotificationKind } from './calendar-store.ts';
export type { OAuthClientConfig, TokenResponse, Grant } from './oauth.ts';
export type { CalendarEvent, EventDateTime } from './event-rules.ts';
export { FREEBUSY_MAX_RANGE_MS } from './calendar-api.ts';
export { EVENT_ID_PATTERN, meetCode } from './event-rules.ts';
export { DiscoveryValidator } from './discovery-validator.ts';
export type { ValidationIssue } from './discovery-validator.ts';
export { loadCalendarDiscovery, DISCOVERY_PATH } from './discovery.ts';
export { CONTROL_PREFIX } from './control-routes.ts';

import type { LoopbackGoogle } from './server.ts';
import type { OAuthClientConfig } from './oauth.ts';

/**
 * The options for google-auth-library's `new OAuth2Client(...)` that point it at the loopback
 * server (checked against google-auth-library 10.5.0: `endpoints` overrides the token, auth,
 * revoke and tokeninfo URLs).
 */
export function oauth2ClientOptions(google: Pick<LoopbackGoogle, 'endpoints'>, client: OAuthClientConfig, redirectUri?: string) {
  return {
    clientId: client.clientId,
    clientSecret: client.clientSecret,
    ...(redirectUri ? { redirectUri } : {}),
    endpoints: {
      oauth2AuthBaseUrl: google.endpoints.oauth2AuthBaseUrl,
      oauth2TokenUrl: google.endpoints.oauth2TokenUrl,
      oauth2RevokeUrl: google.endpoints.oauth2RevokeUrl,
      tokenInfoUrl: google.endpoints.tokenInfoUrl,
    },
  };
}
