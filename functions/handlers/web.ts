import { bookProposedSlot, isSlotOffered, rebookIntroduction, type BookingDependencies, type BookingResult } from '../domain/booking/book-introduction.ts';
import { CalendarUnavailableError } from '../domain/booking/calendar-port.ts';
import { contactLabel, type Introduction } from '../domain/introductions/introduction.ts';
import { isBookable } from '../domain/introductions/status.ts';
import type { TokenAction } from '../domain/links/signed-token.ts';
import { effectiveBookingPreferences, isCalendarConnected, type CalendarConnection, type Partner } from '../domain/partners/partner.ts';
import type { SecretSealer } from '../domain/security/secret-sealer.ts';
import { DynamoPartnerStore } from '../adapters/dynamodb/partner-store.ts';
import { tokenContext } from '../adapters/google/google-calendar-access.ts';
import { NoRefreshTokenError, type GoogleOAuth } from '../adapters/google/google-oauth.ts';
import { WEB_PATHS } from '../adapters/links/booking-link-builder.ts';
import { GOOGLE_CALENDAR_SCOPES } from '../shared/booking-config.ts';
import { bookingRuntimeFromEnvironment } from '../shared/booking-runtime.ts';
import { logger, type LogSink } from '../shared/logger.ts';
import { alreadyConnectedPage, connectedPage, connectFailedPage, consentDeniedPage, redirectingPage } from '../web/connect-pages.ts';
import {
  badRequestPage,
  calendarUnavailablePage,
  expiredLinkPage,
  formProblemPage,
  homePage,
  introductionGonePage,
  invalidLinkPage,
  methodNotAllowedPage,
  notFoundPage,
  partnerGonePage,
  serverErrorPage,
  unavailablePage,
} from '../web/general-pages.ts';
import { pageResponse, redirectResponse, type Page, type WebResponse } from '../web/http.ts';
import { bookingOffPage, confirmRebookPage, connectFirstPage, noFreeSlotPage, proposedPage } from '../web/rebook-pages.ts';
import { functionUrlEventSchema, readForm, singleValue, webRequestFrom, type WebRequest } from '../web/request.ts';
import {
  alreadyBookedPage,
  bookedPage,
  closedPage,
  confirmSlotPage,
  hostCalendarUnreachablePage,
  hostOf,
  invitationFrom,
  noLongerOfferedPage,
  slotTakenPage,
  type MeetingHost,
} from '../web/slot-pages.ts';
import { checkLink, oauthState, slotOf, type LinkCheck } from '../web/tokens.ts';

export type { WebResponse } from '../web/http.ts';

/** The partner records the web function reads and writes (the DynamoDB partner store). */
export interface CalendarConnections {
  getPartner(email: string): Promise<Partner | null>;
  connectCalendar(email: string, connection: Omit<CalendarConnection, 'generation'>): Promise<CalendarConnection | null>;
}

export interface WebHandlerDependencies {
  readonly booking: BookingDependencies;
  readonly partners: CalendarConnections;
  readonly oauth: Pick<GoogleOAuth, 'consentUrl' | 'exchangeCode'>;
  readonly sealer: SecretSealer;
  readonly signingKey: Buffer;
  readonly logger: LogSink;
  /**
   * A partner just connected their calendar. On AWS the table stream starts the booking function
   * for them, so this is absent; local mode resumes their waiting bookings in process.
   */
  readonly onCalendarConnected?: (partnerEmail: string) => Promise<void>;
}

type Route = (request: WebRequest) => Promise<Page | WebResponse>;

/**
 * The web function behind a Lambda Function URL: the one-click pages of booking emails and the
 * Google OAuth start and callback. A GET never changes anything (mail scanners follow links);
 * only the POST of a confirmation form does. Links are signed tokens scoped to one action.
 */
export function makeWebHandler(dependencies: WebHandlerDependencies) {
  const { booking, partners, signingKey } = dependencies;
  const log = dependencies.logger;
  const now = () => booking.clock.now();
  const check = (token: string | null, action: TokenAction): LinkCheck => checkLink(token, action, signingKey, now());
  const refused = (result: Extract<LinkCheck, { ok: false }>, action: TokenAction): Page =>
    result.problem === 'expired' ? expiredLinkPage(action) : invalidLinkPage();

  /** The partner whose calendar an introduction's meeting goes in, as the prospect sees them. */
  const hostFor = async (introduction: Introduction): Promise<{ partner: Partner; host: MeetingHost } | null> => {
    const email = introduction.booking?.calendarOwner;
    const partner = email ? await partners.getPartner(email) : null;
    return partner ? { partner, host: hostOf(partner, effectiveBookingPreferences(partner).videoLink) } : null;
  };

  const connect: Route = async (request) => {
    const link = check(singleValue(request.query, 'token'), 'connect_calendar');
    if (!link.ok) return refused(link, 'connect_calendar');
    const partner = await partners.getPartner(link.claims.subject);
    if (!partner) return partnerGonePage();
    const consentUrl = dependencies.oauth.consentUrl(oauthState(partner.email, signingKey, now()), partner.email);
    return redirectResponse(consentUrl, redirectingPage(consentUrl));
  };

  const oauthCallback: Route = async (request) => {
    const state = check(singleValue(request.query, 'state'), 'oauth_state');
    if (!state.ok) return refused(state, 'oauth_state');
    const partner = await partners.getPartner(state.claims.subject);
    if (!partner) return partnerGonePage();
    const tryAgain = booking.links.connectCalendar(partner);
    const error = singleValue(request.query, 'error');
    if (error) {
      log.info('calendar consent not given', { refused: error === 'access_denied' });
      return error === 'access_denied' ? consentDeniedPage(tryAgain) : connectFailedPage('google_error', tryAgain);
    }
    const code = singleValue(request.query, 'code');
    if (!code) return invalidLinkPage();
    // Google lets people untick scopes: without both, booking would fail later, so say so now.
    const granted = request.query.get('scope')?.split(' ');
    if (granted && !GOOGLE_CALENDAR_SCOPES.every((scope) => granted.includes(scope))) return connectFailedPage('no_offline_access', tryAgain);

    let refreshToken: string;
    try {
      ({ refreshToken } = await dependencies.oauth.exchangeCode(code));
    } catch (exchangeError) {
      if (exchangeError instanceof NoRefreshTokenError) return connectFailedPage('no_offline_access', tryAgain);
      if (isInvalidGrant(exchangeError)) {
        // Most often the callback page reloaded after it worked: the code is single use.
        return isCalendarConnected(partner) ? alreadyConnectedPage(partner) : connectFailedPage('code_used', tryAgain);
      }
      throw exchangeError;
    }
    const sealed = await dependencies.sealer.seal(refreshToken, tokenContext(partner.email));
    const connection = await partners.connectCalendar(partner.email, {
      status: 'connected',
      method: 'oauth',
      refreshToken: sealed,
      connectedAt: now().toISOString(),
      disconnectedAt: null,
      disconnectReason: null,
    });
    if (!connection) return partnerGonePage();
    const waiting = (await booking.store.listWaitingFor(partner.email)).length;
    log.info('calendar connected', { generation: connection.generation, waiting });
    if (dependencies.onCalendarConnected) {
      try {
        await dependencies.onCalendarConnected(partner.email);
      } catch (resumeError) {
        // The connection is stored; the bookings are retried by the next trigger, so the partner still sees success.
        log.warn('resuming bookings failed', { error: errorName(resumeError) });
      }
    }
    return connectedPage(partner, waiting);
  };

  const showSlot: Route = async (request) => {
    const link = check(singleValue(request.query, 'token'), 'book_slot');
    if (!link.ok) return refused(link, 'book_slot');
    const slot = slotOf(link.claims);
    if (!slot) return invalidLinkPage();
    const introduction = await booking.store.getIntroduction(link.claims.subject);
    if (!introduction) return introductionGonePage();
    if (introduction.status === 'meeting_booked') return alreadyBookedPage(introduction.meeting ?? null);
    const owner = isBookable(introduction.status) ? await hostFor(introduction) : null;
    if (!owner) return closedPage();
    if (!isSlotOffered(introduction, slot)) return noLongerOfferedPage(owner.host);
    return confirmSlotPage({ introduction, host: owner.host, slot, token: link.token });
  };

  const bookSlot: Route = async (request) => {
    const form = readForm(request);
    if (!form.ok) return formProblemPage(form.status);
    const link = check(singleValue(form.form, 'token'), 'book_slot');
    if (!link.ok) return refused(link, 'book_slot');
    const slot = slotOf(link.claims);
    if (!slot) return invalidLinkPage();
    const introductionId = link.claims.subject;
    const result = await bookProposedSlot(introductionId, slot, booking);
    logOutcome(log, 'slot', introductionId, result);
    if (result.outcome === 'not_found') return introductionGonePage();
    if (result.outcome === 'already_booked') return alreadyBookedPage(result.meeting);
    const introduction = await booking.store.getIntroduction(introductionId);
    const owner = introduction ? await hostFor(introduction) : null;
    const host = owner?.host ?? null;
    switch (result.outcome) {
      case 'booked':
        return bookedPage(result.meeting, invitationFrom(host, result.meeting));
      case 'slot_taken':
        return slotTakenPage(
          host,
          result.alternatives.map((alternative) => ({ slot: alternative, url: booking.links.bookSlot(introductionId, alternative) })),
        );
      case 'no_longer_offered':
        return noLongerOfferedPage(host);
      case 'waiting_for_calendar':
        return hostCalendarUnreachablePage(host, false);
      case 'calendar_disconnected':
        return hostCalendarUnreachablePage(host, true);
      default:
        return closedPage();
    }
  };

  const showRebook: Route = async (request) => {
    const link = check(singleValue(request.query, 'token'), 'rebook');
    if (!link.ok) return refused(link, 'rebook');
    const introduction = await booking.store.getIntroduction(link.claims.subject);
    if (!introduction) return introductionGonePage();
    if (introduction.status === 'meeting_booked') return alreadyBookedPage(introduction.meeting ?? null);
    const prospect = introduction.parties.find((party) => party.email === introduction.booking?.prospect);
    const owner = isBookable(introduction.status) && prospect ? await hostFor(introduction) : null;
    if (!owner || !prospect) return closedPage();
    return confirmRebookPage({ introduction, prospect, mode: effectiveBookingPreferences(owner.partner).bookingMode, token: link.token });
  };

  const rebook: Route = async (request) => {
    const form = readForm(request);
    if (!form.ok) return formProblemPage(form.status);
    const link = check(singleValue(form.form, 'token'), 'rebook');
    if (!link.ok) return refused(link, 'rebook');
    const introductionId = link.claims.subject;
    const result = await rebookIntroduction(introductionId, booking);
    logOutcome(log, 'rebook', introductionId, result);
    if (result.outcome === 'not_found') return introductionGonePage();
    if (result.outcome === 'already_booked') return alreadyBookedPage(result.meeting);
    // The booking state now names whose calendar and whom: read it back to speak about them.
    const introduction = await booking.store.getIntroduction(introductionId);
    const prospect = introduction?.parties.find((party) => party.email === introduction.booking?.prospect);
    const owner = introduction ? await hostFor(introduction) : null;
    if (!prospect || !owner) return closedPage();
    const preferences = effectiveBookingPreferences(owner.partner);
    switch (result.outcome) {
      case 'booked':
        return bookedPage(result.meeting, `${contactLabel(prospect)} gets the invitation from your Google Calendar.`);
      case 'proposed':
        return proposedPage(prospect, preferences.timeZone, result.slots);
      case 'waiting_for_calendar':
        return connectFirstPage(prospect, booking.links.connectCalendar(owner.partner), owner.partner.calendar != null);
      case 'calendar_disconnected':
        return connectFirstPage(prospect, booking.links.connectCalendar(owner.partner), true);
      case 'no_free_slot':
        return noFreeSlotPage(prospect, preferences.horizonBusinessDays);
      case 'booking_off':
        return bookingOffPage(prospect);
      default:
        return closedPage();
    }
  };

  const home: Route = () => Promise.resolve(homePage());

  const routes: Readonly<Record<string, Partial<Record<'GET' | 'POST', Route>>>> = {
    '/': { GET: home },
    [WEB_PATHS.connect]: { GET: connect },
    [WEB_PATHS.oauthCallback]: { GET: oauthCallback },
    [WEB_PATHS.slot]: { GET: showSlot, POST: bookSlot },
    [WEB_PATHS.rebook]: { GET: showRebook, POST: rebook },
  };

  return async (event: unknown): Promise<WebResponse> => {
    const parsed = functionUrlEventSchema.safeParse(event);
    if (!parsed.success) {
      log.error('not a function URL event', { issues: parsed.error.issues.length, paths: parsed.error.issues.slice(0, 5).map((issue) => issue.path.join('.')) });
      return pageResponse(badRequestPage());
    }
    const request = webRequestFrom(parsed.data);
    const methods = Object.hasOwn(routes, request.path) ? routes[request.path] : undefined;
    // HEAD is a GET without the body (some link checkers send it).
    const method = request.method === 'HEAD' ? 'GET' : request.method;
    let response: WebResponse;
    if (!methods) response = pageResponse(notFoundPage());
    else {
      const route = method === 'GET' || method === 'POST' ? methods[method] : undefined;
      if (!route) response = pageResponse(methodNotAllowedPage(), { allow: Object.keys(methods).join(', ') });
      else {
        try {
          const result = await route(request);
          response = 'statusCode' in result ? result : pageResponse(result);
        } catch (error) {
          log.error('web request failed', { path: request.path, method, error: errorName(error) });
          response = pageResponse(error instanceof CalendarUnavailableError ? calendarUnavailablePage() : serverErrorPage());
        }
      }
    }
    log.info('web request', { path: methods ? request.path : 'unknown', method, status: response.statusCode });
    return request.method === 'HEAD' ? { ...response, body: '' } : response;
  };
}

function logOutcome(log: LogSink, action: string, introductionId: string, result: BookingResult): void {
  log.info(`${action} handled`, { introductionId, outcome: result.outcome });
}

/** google-auth-library reports a spent, expired or foreign code as an `invalid_grant` error response. */
function isInvalidGrant(error: unknown): boolean {
  const data = (error as { response?: { data?: { error?: unknown } } } | null)?.response?.data;
  return data?.error === 'invalid_grant';
}

function errorName(error: unknown): string {
  return error instanceof Error ? error.name : 'error';
}

let configured: Promise<ReturnType<typeof makeWebHandler>> | undefined;

/**
 * The Lambda entry point. The function cannot be told its own URL (a CloudFormation cycle), so
 * the first request's domain gives the base URL that links and the OAuth callback use; secrets
 * are read once per cold start, and a failure is not cached.
 */
export const handler = async (event: unknown): Promise<WebResponse> => {
  const parsed = functionUrlEventSchema.safeParse(event);
  if (!parsed.success) {
    logger.error('not a function URL event', { issues: parsed.error.issues.length });
    return pageResponse(badRequestPage());
  }
  configured ??= bookingRuntimeFromEnvironment(process.env, { webBaseUrl: `https://${parsed.data.requestContext.domainName}/` }).then(
    (runtime) =>
      makeWebHandler({
        booking: runtime.booking,
        partners: new DynamoPartnerStore(runtime.connection),
        oauth: runtime.oauth,
        sealer: runtime.sealer,
        signingKey: runtime.signingKey,
        logger,
      }),
    (error: unknown) => {
      configured = undefined;
      throw error;
    },
  );
  try {
    return (await configured)(event);
  } catch (error) {
    // Only the runtime's construction can throw here (the web handler answers every request itself).
    logger.error('web function could not start', { error: errorName(error), reason: error instanceof Error ? error.message : '' });
    return pageResponse(unavailablePage());
  }
};
