import { JWT } from 'google-auth-library';
import type { CalendarAccess } from '../../domain/booking/booking-ports.ts';
import { CalendarAuthorizationError, type CalendarPort } from '../../domain/booking/calendar-port.ts';
import type { Partner } from '../../domain/partners/partner.ts';
import type { SecretSealer } from '../../domain/security/secret-sealer.ts';
import { GOOGLE_CALENDAR_SCOPES } from '../../shared/booking-config.ts';
import { tokenContext } from './google-consent.ts';
import { GoogleCalendar, NO_TRANSPORT_RETRIES, type RetryPolicy } from './google-calendar.ts';
import type { GoogleEndpoints } from './google-endpoints.ts';
import type { GoogleOAuth } from './google-oauth.ts';

export interface ServiceAccountKey {
  readonly clientEmail: string;
  readonly privateKey: string;
}

export { tokenContext } from './google-consent.ts';

/**
 * A Google Calendar for one partner: through their own consent (a sealed refresh token), or a
 * Workspace service account acting for them (domain-wide delegation).
 */
export class GoogleCalendarAccess implements CalendarAccess {
  constructor(
    private readonly options: {
      readonly oauth: GoogleOAuth | null;
      readonly serviceAccount: ServiceAccountKey | null;
      readonly sealer: SecretSealer;
      readonly endpoints: GoogleEndpoints;
      readonly retry?: RetryPolicy;
    },
  ) {}

  async forPartner(partner: Partner): Promise<CalendarPort> {
    const connection = partner.calendar;
    if (connection?.status !== 'connected') throw new CalendarAuthorizationError(`${partner.email} has no connected calendar`);
    const calendarOptions = { apiRootUrl: this.options.endpoints.apiRootUrl, ...(this.options.retry ? { retry: this.options.retry } : {}) };
    if (connection.method === 'service_account') {
      const key = this.options.serviceAccount;
      if (!key) throw new CalendarAuthorizationError('no service account is configured for domain-wide delegation');
      const jwt = new JWT({ email: key.clientEmail, key: key.privateKey, scopes: [...GOOGLE_CALENDAR_SCOPES], subject: partner.email, transporterOptions: NO_TRANSPORT_RETRIES });
      return new GoogleCalendar(jwt, calendarOptions);
    }
    if (!this.options.oauth) throw new CalendarAuthorizationError('no Google OAuth client is configured');
    if (!connection.refreshToken) throw new CalendarAuthorizationError(`${partner.email} has no stored grant`);
    const refreshToken = await this.options.sealer.open(connection.refreshToken, tokenContext(partner.email));
    return new GoogleCalendar(this.options.oauth.authorizedClient(refreshToken), calendarOptions);
  }
}
