import { calendar, type calendar_v3 } from '@googleapis/calendar';
import type { OAuth2Client } from 'google-auth-library';
import * as z from 'zod';
import {
  CalendarAuthorizationError,
  CalendarUnavailableError,
  type BusyInterval,
  type CalendarEvent,
  type CalendarPort,
  type NewCalendarEvent,
} from '../../domain/booking/calendar-port.ts';

/**
 * Google Calendar behind the provider-neutral port, over the official client. Google's limits
 * and failure modes are handled here: bounded exponential backoff with jitter on rate limits and
 * server errors, 409 on insert as "already booked", 404/410 on delete as done, and an expired or
 * revoked grant surfaced as `CalendarAuthorizationError` so the partner is asked to reconnect.
 */
export interface RetryPolicy {
  /** Attempts in all, the first included. */
  readonly attempts: number;
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
  readonly sleep: (ms: number) => Promise<void>;
  readonly random: () => number;
}

/**
 * Google asks clients to back off exponentially on 429/403-rate-limit/5xx. Four attempts with
 * full jitter (0.25 s, 0.5 s, 1 s bases, capped at 4 s); after that the error goes back to the
 * caller (Lambda retries the whole booking later, safely: it is idempotent).
 */
export const GOOGLE_RETRY_POLICY: RetryPolicy = {
  attempts: 4,
  baseDelayMs: 250,
  maxDelayMs: 4_000,
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  random: Math.random,
};

/**
 * One request may take this long; a hung connection counts as a retryable failure. Google's
 * Calendar calls answer in well under a second; 5 s × 4 attempts plus backoff keeps one call
 * under 25 s, so a hung Google surfaces as CalendarUnavailableError rather than a Lambda timeout.
 */
export const GOOGLE_REQUEST_TIMEOUT_MS = 5_000;

/**
 * For google-auth-library's token requests: it retries them itself (three times, with its own
 * backoff), inside each attempt of ours. Off, so one call costs at most `attempts` requests.
 */
export const NO_TRANSPORT_RETRIES = { retryConfig: { retry: 0, noResponseRetries: 0 } } as const;

const RATE_LIMIT_REASONS = new Set(['rateLimitExceeded', 'userRateLimitExceeded']);
const RETRYABLE_STATUSES = new Set([429, 500, 502, 503, 504]);
const RETRYABLE_NETWORK_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'ECONNABORTED', 'EPIPE', 'EAI_AGAIN']);

export interface GoogleCalendarOptions {
  readonly apiRootUrl: string;
  readonly retry?: RetryPolicy;
}

export class GoogleCalendar implements CalendarPort {
  private readonly api: calendar_v3.Calendar;
  private readonly retry: RetryPolicy;

  constructor(auth: OAuth2Client, options: GoogleCalendarOptions) {
    // The client's own retries are off: ours are bounded and know Google's rate-limit reasons.
    this.api = calendar({ version: 'v3', auth, rootUrl: options.apiRootUrl, retry: false, timeout: GOOGLE_REQUEST_TIMEOUT_MS });
    this.retry = options.retry ?? GOOGLE_RETRY_POLICY;
  }

  async busy(query: { calendars: readonly string[]; timeMin: Date; timeMax: Date }): Promise<BusyInterval[]> {
    const response = await this.call(() =>
      this.api.freebusy.query({
        requestBody: { timeMin: query.timeMin.toISOString(), timeMax: query.timeMax.toISOString(), items: query.calendars.map((id) => ({ id })) },
      }),
    );
    const parsed = freeBusySchema.parse(response.data);
    const busy: BusyInterval[] = [];
    for (const id of query.calendars) {
      const entry = parsed.calendars[id];
      // A calendar Google could not read would hide busy time: better not book than double-book.
      if (!entry || (entry.errors?.length ?? 0) > 0) {
        throw new CalendarUnavailableError(`free/busy for calendar ${id} failed: ${entry?.errors?.map((error) => error.reason).join(', ') ?? 'missing'}`);
      }
      for (const interval of entry.busy) busy.push({ start: new Date(interval.start), end: new Date(interval.end) });
    }
    return busy;
  }

  async createEvent(event: NewCalendarEvent): Promise<{ created: true; event: CalendarEvent } | { created: false; reason: 'exists' }> {
    try {
      const response = await this.call(() =>
        this.api.events.insert({
          calendarId: event.calendarId,
          sendUpdates: 'all',
          conferenceDataVersion: event.videoRequestId ? 1 : 0,
          requestBody: {
            id: event.id,
            summary: event.summary,
            description: event.description,
            start: { dateTime: event.start.toISOString(), timeZone: event.timeZone },
            end: { dateTime: event.end.toISOString(), timeZone: event.timeZone },
            attendees: event.attendees.map((attendee) => ({ email: attendee.email, ...(attendee.name ? { displayName: attendee.name } : {}) })),
            guestsCanModify: false,
            reminders: { useDefault: true },
            ...(event.videoRequestId
              ? { conferenceData: { createRequest: { requestId: event.videoRequestId, conferenceSolutionKey: { type: 'hangoutsMeet' } } } }
              : {}),
          },
        }),
      );
      return { created: true, event: toCalendarEvent(event.calendarId, response.data) };
    } catch (error) {
      if (statusOf(error) === 409) return { created: false, reason: 'exists' };
      throw error;
    }
  }

  async getEvent(calendarId: string, eventId: string): Promise<CalendarEvent | null> {
    try {
      const response = await this.call(() => this.api.events.get({ calendarId, eventId }));
      return toCalendarEvent(calendarId, response.data);
    } catch (error) {
      const status = statusOf(error);
      if (status === 404) return null;
      if (status === 410) return null;
      throw error;
    }
  }

  async deleteEvent(calendarId: string, eventId: string): Promise<void> {
    try {
      await this.call(() => this.api.events.delete({ calendarId, eventId, sendUpdates: 'all' }));
    } catch (error) {
      // Already gone (404) or already deleted (410): the goal is reached.
      const status = statusOf(error);
      if (status === 404 || status === 410) return;
      throw error;
    }
  }

  /** Runs one API call with bounded retries; maps authorization failures for the domain. */
  private async call<T>(request: () => Promise<T>): Promise<T> {
    let lastError: unknown;
    for (let attempt = 1; attempt <= this.retry.attempts; attempt += 1) {
      try {
        return await request();
      } catch (error) {
        if (isAuthorizationFailure(error)) throw new CalendarAuthorizationError(describe(error));
        if (!isRetryable(error)) throw error;
        lastError = error;
        if (attempt < this.retry.attempts) await this.retry.sleep(backoff(attempt, this.retry));
      }
    }
    throw new CalendarUnavailableError(`Google Calendar kept failing after ${this.retry.attempts} attempts: ${describe(lastError)}`);
  }
}

function backoff(attempt: number, policy: RetryPolicy): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
  return Math.floor(policy.random() * ceiling);
}

interface GoogleErrorShape {
  readonly status?: number;
  readonly code?: string | number;
  readonly message?: string;
  readonly response?: { readonly status?: number; readonly data?: unknown };
}

function statusOf(error: unknown): number | null {
  const shaped = error as GoogleErrorShape;
  return shaped?.response?.status ?? (typeof shaped?.status === 'number' ? shaped.status : null);
}

function reasonOf(error: unknown): string | null {
  const data = (error as GoogleErrorShape)?.response?.data as { error?: { errors?: { reason?: string }[] } | string } | undefined;
  if (typeof data?.error === 'string') return data.error;
  return data?.error?.errors?.[0]?.reason ?? null;
}

function isAuthorizationFailure(error: unknown): boolean {
  const status = statusOf(error);
  const reason = reasonOf(error);
  if (reason === 'invalid_grant' || reason === 'unauthorized_client') return true;
  if (/invalid_grant/.test((error as GoogleErrorShape)?.message ?? '')) return true;
  if (status === 401) return true;
  // 403 that is not a rate limit: the grant lacks the scopes or the calendar is not shared.
  return status === 403 && reason !== null && !RATE_LIMIT_REASONS.has(reason);
}

function isRetryable(error: unknown): boolean {
  const status = statusOf(error);
  if (status !== null) return RETRYABLE_STATUSES.has(status) || (status === 403 && RATE_LIMIT_REASONS.has(reasonOf(error) ?? ''));
  const code = String((error as GoogleErrorShape)?.code ?? '');
  return RETRYABLE_NETWORK_CODES.has(code) || /timeout/i.test((error as GoogleErrorShape)?.message ?? '') || isTimedOut(error);
}

/**
 * gaxios enforces `timeout` with an AbortSignal: a request that outlives it fails with "The
 * operation was aborted." (an AbortError as the cause; no status, no code). Nothing else aborts
 * our requests, so an abort is a timeout.
 */
function isTimedOut(error: unknown): boolean {
  let current: unknown = error;
  for (let depth = 0; depth < 3 && typeof current === 'object' && current !== null; depth += 1) {
    const { name, type } = current as { name?: unknown; type?: unknown };
    if (name === 'AbortError' || name === 'TimeoutError' || type === 'aborted') return true;
    current = (current as { cause?: unknown }).cause;
  }
  return false;
}

/** For logs and stored reasons: status and reason only, never tokens or bodies. */
function describe(error: unknown): string {
  const status = statusOf(error);
  const reason = reasonOf(error);
  const code = (error as GoogleErrorShape)?.code;
  return [status ? `HTTP ${status}` : null, reason, status === null && code ? String(code) : null].filter(Boolean).join(' ') || (isTimedOut(error) ? 'timed out' : 'request failed');
}

// Google's responses are input from outside: checked before use.
const dateTime = z.object({ dateTime: z.string().optional(), date: z.string().optional(), timeZone: z.string().optional() });
const eventSchema = z.object({
  id: z.string(),
  status: z.enum(['confirmed', 'tentative', 'cancelled']).default('confirmed'),
  start: dateTime.optional(),
  end: dateTime.optional(),
  attendees: z
    .array(z.object({ email: z.string(), displayName: z.string().optional(), responseStatus: z.string().optional(), organizer: z.boolean().optional(), self: z.boolean().optional() }))
    .default([]),
  hangoutLink: z.string().optional(),
  conferenceData: z.object({ entryPoints: z.array(z.object({ entryPointType: z.string().optional(), uri: z.string().optional() })).optional() }).optional(),
  htmlLink: z.string().optional(),
  sequence: z.number().int().default(0),
  updated: z.string().optional(),
});
const freeBusySchema = z.object({
  calendars: z.record(
    z.string(),
    z.object({ busy: z.array(z.object({ start: z.string(), end: z.string() })).default([]), errors: z.array(z.object({ reason: z.string() })).optional() }),
  ),
});

function toCalendarEvent(calendarId: string, data: unknown): CalendarEvent {
  const event = eventSchema.parse(data);
  const video = event.conferenceData?.entryPoints?.find((entry) => entry.entryPointType === 'video')?.uri ?? event.hangoutLink ?? null;
  return {
    id: event.id,
    calendarId,
    status: event.status,
    start: instant(event.start),
    end: instant(event.end),
    attendees: event.attendees.map((attendee) => ({
      email: attendee.email.toLowerCase(),
      name: attendee.displayName ?? null,
      response: responseOf(attendee.responseStatus),
      organizer: attendee.organizer === true,
    })),
    videoLink: video,
    htmlLink: event.htmlLink ?? null,
    sequence: event.sequence,
    updated: event.updated ? new Date(event.updated) : null,
  };
}

function instant(value: z.infer<typeof dateTime> | undefined): Date {
  if (value?.dateTime) return new Date(value.dateTime);
  if (value?.date) return new Date(`${value.date}T00:00:00Z`);
  return new Date(Number.NaN);
}

function responseOf(value: string | undefined): CalendarEvent['attendees'][number]['response'] {
  return value === 'accepted' || value === 'declined' || value === 'tentative' ? value : 'needsAction';
}
