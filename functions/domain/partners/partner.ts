import { parseBookingPreferences, type BookingPreferences, type BookingPreferencesInput } from '../booking/booking-preferences.ts';
import type { SealedSecret } from '../security/secret-sealer.ts';

export interface Partner {
  readonly email: string;
  readonly name: string | null;
  /** IANA time zone, e.g. Europe/London. Booking works in it. */
  readonly timeZone: string;
  readonly createdAt: string;
  /** Booking preferences as the partner set them (defaults fill the rest; the time zone is the partner's). */
  readonly booking?: StoredBookingPreferences;
  /** How the system reaches the partner's Google Calendar, if at all. */
  readonly calendar?: CalendarConnection | null;
}

export type StoredBookingPreferences = Omit<BookingPreferencesInput, 'timeZone'>;

export interface CalendarConnection {
  readonly status: 'connected' | 'disconnected';
  /**
   * oauth: the partner consented and we hold their refresh token (sealed);
   * service_account: a Workspace admin's service account acts for them (domain-wide delegation);
   * loopback: local mode's loopback calendar server.
   */
  readonly method: 'oauth' | 'service_account' | 'loopback';
  /** The OAuth refresh token, encrypted; never stored or logged in clear. */
  readonly refreshToken: SealedSecret | null;
  readonly connectedAt: string;
  readonly disconnectedAt: string | null;
  readonly disconnectReason: string | null;
  /** Counts connections: one reconnect email per disconnection, however many bookings wait. */
  readonly generation: number;
}

export function effectiveBookingPreferences(partner: Partner): BookingPreferences {
  return parseBookingPreferences({ ...partner.booking, timeZone: partner.timeZone });
}

export function isCalendarConnected(partner: Partner): boolean {
  return partner.calendar?.status === 'connected';
}
