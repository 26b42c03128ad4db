import { randomUUID } from 'node:crypto';
import { bookProposedSlot, isSlotOffered, rebookIntroduction, type BookingDependencies, type BookingResult } from '../domain/booking/book-introduction.ts';
import { CalendarUnavailableError } from '../domain/booking/calendar-port.ts';
import { answerQuestion, type AnswerResult } from '../domain/followup/answer-question.ts';
import { answerEffect, QUESTION_APPLIES } from '../domain/followup/answers.ts';
import { callName } from '../domain/followup/follow-up-emails.ts';
import { UPDATE_STATUSES } from '../domain/followup/follow-up-state.ts';
import { prospectOf, type FollowThroughDependencies } from '../domain/followup/follow-through.ts';
import { contactLabel, type Introduction } from '../domain/introductions/introduction.ts';
import { isBookable } from '../domain/introductions/status.ts';
import type { TokenAction } from '../domain/links/signed-token.ts';
import { effectiveBookingPreferences, isCalendarConnected, type CalendarConnection, type Partner } from '../domain/partners/partner.ts';
import type { SecretSealer } from '../domain/security/secret-sealer.ts';
import { DynamoFollowUpStore } from '../adapters/dynamodb/follow-up-store.ts';
import { DynamoPairStore } from '../adapters/dynamodb/pair-store.ts';
import { DynamoPartnerStore } from '../adapters/dynamodb/partner-store.ts';
import { DynamoUsedTokenStore, type UsedTokenStore } from '../adapters/dynamodb/used-token-store.ts';
import { NoRefreshTokenError, tokenContext, type CalendarConsent } from '../adapters/google/google-consent.ts';
import { WEB_PATHS } from '../adapters/links/booking-link-builder.ts';
import { GOOGLE_CALENDAR_SCOPES } from '../shared/booking-config.ts';
import { PowertoolsBusinessMetrics } from '../adapters/metrics/powertools-business-metrics.ts';
import { bookingRuntimeFromEnvironment } from '../shared/booking-runtime.ts';
import { countBooking, noBusinessMetrics, type BusinessMetrics } from '../shared/business-metrics.ts';
import { logger, type LogSink } from '../shared/logger.ts';
import { parseAmount } from '../web/amount.ts';
import {
  amountProblem,
  answerAlreadyUsedPage,
  answerAppliedPage,
  answerIntroductionGonePage,
  answerNoLongerAppliesPage,
  confirmAnswerPage,
  reminderSetPage,
  type AnswerView,
} from '../web/answer-pages.ts';
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
import { functionUrlEventSchema, readForm, readOneClick, singleValue, webRequestFrom, type WebRequest } from '../web/request.ts';
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
import { answerOf, checkLink, oauthState, slotOf, unsubscribeOf, type AnswerRequest, type LinkCheck, type UnsubscribeRequest } from '../web/tokens.ts';
import { alreadyUnsubscribedPage, confirmUnsubscribePage, listGonePage, unsubscribedPage, type UnsubscribeView } from '../web/unsubscribe-pages.ts';

export type { WebResponse } from '../web/http.ts';

/** The partner records the web function reads and writes (the DynamoDB partner store). */
export interface CalendarConnections {
  getPartner(email: string): Promise<Partner | null>;
  connectCalendar(email: string, connection: Omit<CalendarConnection, 'generation'>): Promise<CalendarConnection | null>;
}

/**
 * What the answer and unsubscribe pages use of follow-through: answering (`answerQuestion`) and
 * the pairs and groups. A whole `FollowThroughDependencies` fits.
 */
export type WebFollowThroughDependencies = Pick<FollowThroughDependencies, 'store' | 'pairs' | 'partners' | 'clock'>;

export interface WebHandlerDependencies {
  readonly booking: BookingDependencies;
  readonly partners: CalendarConnections;
  readonly oauth: CalendarConsent;
  readonly sealer: SecretSealer;
  /** Signs what this function signs itself (the OAuth `state`); must be one of `verificationKeys`. */
  readonly signingKey: Buffer;
  /**
   * Keys links verify with, tried in order: the current key first, then (on AWS, after a rotation)
   * the previous one. Local mode has one key: `[signingKey]`.
   */
  readonly verificationKeys: readonly Buffer[];
  /** One-click answers and unsubscribes. */
  readonly followThrough: WebFollowThroughDependencies;
  /** Answer links are single use: their token ids are claimed here. */
  readonly usedTokens: UsedTokenStore;
  readonly logger: LogSink;
  /** Introductions booked from a page, and failures (absent: nothing is counted). */
  readonly metrics?: BusinessMetrics;
  /**
   * A partner just connected their calendar. On AWS the table stream starts the booking function
   * for them, so this is absent; local mode resumes their waiting bookings in process.
   */
  readonly onCalendarConnected?: (partnerEmail: string) => Promise<void>;
  /**
   * On AWS: reads the link keys again. A warm function keeps the keys it started with, so after a
   * rotation a link signed with the new key would fail; a link whose signature matches none of the
   * keys makes the function read them again (at most once a minute). Absent locally (one fixed key).
   */
  readonly reloadLinkKeys?: () => Promise<{ readonly verificationKeys: readonly Buffer[] }>;
}

/** A link that matches no key re-reads the keys at most this often. */
export const KEY_RELOAD_INTERVAL_MS = 60_000;

type Route = (request: WebRequest) => Promise<Page | WebResponse>;

/**
 * The web function behind a Lambda Function URL: the one-click pages of booking and follow-up
 * emails (choose a time, find another time, answer a question, unsubscribe) and the Google OAuth
 * start and callback. A GET never changes anything (mail scanners follow links); only the POST of
 * a confirmation form does (or a mail client's one-click unsubscribe, RFC 8058). Links are signed
 * tokens scoped to one action; answer links work once.
 */
export function makeWebHandler(dependencies: WebHandlerDependencies) {
  const { booking, partners, signingKey, followThrough, usedTokens } = dependencies;
  const log = dependencies.logger;
  const metrics = dependencies.metrics ?? noBusinessMetrics;
  const now = () => booking.clock.now();
  if (!dependencies.verificationKeys.some((key) => key.equals(signingKey))) throw new Error('the link signing key must be one of the verification keys');
  let verificationKeys = dependencies.verificationKeys;
  let keysReloadedAt = Number.NEGATIVE_INFINITY;

  const check = async (token: string | null, action: TokenAction): Promise<LinkCheck> => {
    const result = checkLink(token, action, verificationKeys, now());
    const reload = dependencies.reloadLinkKeys;
    if (result.ok || result.reason !== 'bad_signature' || !reload || performance.now() - keysReloadedAt < KEY_RELOAD_INTERVAL_MS) return result;
    keysReloadedAt = performance.now();
    try {
      const reloaded = await reload();
      // The key this function signs with stays valid whatever was read (its OAuth states are short-lived).
      verificationKeys = [...reloaded.verificationKeys, ...(reloaded.verificationKeys.some((key) => key.equals(signingKey)) ? [] : [signingKey])];
      log.info('link keys reloaded', { keys: verificationKeys.length });
    } catch (reloadError) {
      log.warn('link keys could not be reloaded', { error: errorName(reloadError) });
      return result;
    }
    return checkLink(token, action, verificationKeys, now());
  };
  const refused = (result: Extract<LinkCheck, { ok: false }>, action: TokenAction): Page =>
    result.problem === 'expired' ? expiredLinkPage(action) : invalidLinkPage();

  /** The partner whose calendar an introduction's meeting goes in, as the prospect sees them. */
  const hostFor = async (introduction: Introduction): Promise<{ partner: Partner; host: MeetingHost } | null> => {
    const email = introduction.booking?.calendarOwner;
    const partner = email ? await partners.getPartner(email) : null;
    return partner ? { partner, host: hostOf(partner, effectiveBookingPreferences(partner).videoLink) } : null;
  };

  const connect: Route = async (request) => {
    const link = await check(singleValue(request.query, 'token'), 'connect_calendar');
    if (!link.ok) return refused(link, 'connect_calendar');
    const partner = await partners.getPartner(link.claims.subject);
    if (!partner) return partnerGonePage();
    const consentUrl = await dependencies.oauth.consentUrl(oauthState(partner.email, signingKey, now()), partner.email);
    return redirectResponse(consentUrl, redirectingPage(consentUrl));
  };

  const oauthCallback: Route = async (request) => {
    const state = await check(singleValue(request.query, 'state'), 'oauth_state');
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
    const link = await check(singleValue(request.query, 'token'), 'book_slot');
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
    const link = await check(singleValue(form.form, 'token'), 'book_slot');
    if (!link.ok) return refused(link, 'book_slot');
    const slot = slotOf(link.claims);
    if (!slot) return invalidLinkPage();
    const introductionId = link.claims.subject;
    const result = await bookProposedSlot(introductionId, slot, booking);
    logOutcome(log, 'slot', introductionId, result);
    countBooking(metrics, result);
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
    const link = await check(singleValue(request.query, 'token'), 'rebook');
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
    const link = await check(singleValue(form.form, 'token'), 'rebook');
    if (!link.ok) return refused(link, 'rebook');
    const introductionId = link.claims.subject;
    const result = await rebookIntroduction(introductionId, booking);
    logOutcome(log, 'rebook', introductionId, result);
    countBooking(metrics, result);
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

  /** How an answer reads on its pages: who, introduced by whom, what confirming does. */
  const answerView = async (ask: AnswerRequest, introduction: Introduction): Promise<AnswerView> => {
    const effect = answerEffect(ask.question, ask.answer);
    const to = effect?.status ?? null;
    const answering = await followThrough.partners.getPartner(ask.recipient);
    // As follow-through decides it: the introducer is told when they are a partner other than the one answering.
    const introducer = to !== null && UPDATE_STATUSES.includes(to) ? await followThrough.partners.getPartner(introduction.introducer.email) : null;
    return {
      introduction,
      prospect: prospectOf(introduction, ask.recipient),
      question: ask.question,
      answer: ask.answer,
      label: effect?.label ?? ask.answer,
      to,
      askAgainAfterBusinessDays: effect?.askAgainAfterBusinessDays ?? null,
      timeZone: answering?.timeZone ?? 'UTC',
      introducerHears: introducer !== null && introducer.email !== ask.recipient,
    };
  };

  const showAnswer: Route = async (request) => {
    const link = await check(singleValue(request.query, 'token'), 'answer');
    if (!link.ok) return refused(link, 'answer');
    const ask = answerOf(link.claims);
    if (!ask) return invalidLinkPage();
    const introduction = await followThrough.store.getIntroduction(ask.introductionId);
    if (!introduction) return answerIntroductionGonePage();
    const view = await answerView(ask, introduction);
    const used = await usedTokens.find(ask.tokenId, followThrough.clock.now());
    if (used) return answerAlreadyUsedPage(view, introduction, used.usedAt);
    if (!QUESTION_APPLIES[ask.question].includes(introduction.status)) return answerNoLongerAppliesPage(view, introduction);
    return confirmAnswerPage(view, link.token);
  };

  const answer: Route = async (request) => {
    const form = readForm(request);
    if (!form.ok) return formProblemPage(form.status);
    const link = await check(singleValue(form.form, 'token'), 'answer');
    if (!link.ok) return refused(link, 'answer');
    const ask = answerOf(link.claims);
    if (!ask) return invalidLinkPage();

    let amount: number | null = null;
    if (ask.answer === 'won') {
      const typed = form.form.getAll('amount');
      const parsed = typed.length > 1 ? ({ ok: false, problem: 'not_a_number' } as const) : parseAmount(typed[0] ?? null);
      if (!parsed.ok) {
        // Said on the same page, with what was typed; the link is not used up.
        const introduction = await followThrough.store.getIntroduction(ask.introductionId);
        if (!introduction) return answerIntroductionGonePage();
        return confirmAnswerPage(await answerView(ask, introduction), link.token, { value: typed[0] ?? '', problem: amountProblem(parsed.problem) });
      }
      amount = parsed.amount;
    }

    const attempt = randomUUID();
    const claim = await usedTokens.claim(ask.tokenId, { attempt, at: followThrough.clock.now(), expiresAt: ask.expiresAt });
    if (!claim.claimed) {
      log.info('answer link used again', { introductionId: ask.introductionId, question: ask.question });
      const current = await followThrough.store.getIntroduction(ask.introductionId);
      return current ? answerAlreadyUsedPage(await answerView(ask, current), current, claim.use.usedAt) : answerIntroductionGonePage();
    }
    let result: AnswerResult;
    try {
      result = await answerQuestion(
        { introductionId: ask.introductionId, question: ask.question, answer: ask.answer, by: ask.recipient, how: 'link', amount },
        followThrough,
      );
    } catch (answerError) {
      // Nothing was answered: the link works again for the next try.
      await usedTokens.release(ask.tokenId, attempt).catch((releaseError: unknown) => log.warn('answer link not released', { error: errorName(releaseError) }));
      throw answerError;
    }
    try {
      await usedTokens.complete(ask.tokenId, attempt, answerOutcome(result), followThrough.clock.now());
    } catch (completeError) {
      // The answer stands; the claim stays and still refuses the link (until it goes stale).
      log.warn('answer link use not recorded', { error: errorName(completeError) });
    }
    log.info('answer handled', { introductionId: ask.introductionId, question: ask.question, answer: ask.answer, outcome: answerOutcome(result) });

    const current = await followThrough.store.getIntroduction(ask.introductionId);
    if (!current || result.outcome === 'not_found') return answerIntroductionGonePage();
    const view = await answerView(ask, current);
    switch (result.outcome) {
      case 'applied':
        return answerAppliedPage(
          { ...view, to: result.status },
          {
            amount: result.status === 'won' ? (current.followUp?.amount ?? null) : null,
            rebookUrl: result.status === 'awaiting_booking' && current.booking ? booking.links.rebook(current.id) : null,
          },
        );
      case 'reminder_set':
        return reminderSetPage(view, result.at);
      case 'no_longer_applies':
        return answerNoLongerAppliesPage(view, current);
      default:
        return invalidLinkPage();
    }
  };

  /** The pair or group an unsubscribe link is for, and where the recipient stands on it; null when it is gone. */
  const listOf = async (target: UnsubscribeRequest): Promise<{ view: UnsubscribeView; receives: boolean } | null> => {
    if (target.kind === 'pair') {
      const pair = await followThrough.pairs.getPair(target.id);
      if (!pair) return null;
      const otherEmail = pair.partners.find((email) => email !== target.recipient) ?? pair.partners[0];
      const other = { email: otherEmail, name: (await followThrough.partners.getPartner(otherEmail))?.name ?? null };
      return {
        view: { kind: 'pair', what: `the weekly check-in with ${contactLabel(other)}`, others: `${callName(other)} still gets theirs.` },
        receives: pair.partners.includes(target.recipient) && !pair.unsubscribed.includes(target.recipient),
      };
    }
    const group = await followThrough.pairs.getGroup(target.id);
    if (!group) return null;
    return {
      view: { kind: 'group', what: `the monthly digest of ${group.name}`, others: 'The other members still get it.' },
      receives: group.members.includes(target.recipient) && !group.unsubscribed.includes(target.recipient),
    };
  };

  const showUnsubscribe: Route = async (request) => {
    const link = await check(singleValue(request.query, 'token'), 'unsubscribe');
    if (!link.ok) return refused(link, 'unsubscribe');
    const target = unsubscribeOf(link.claims);
    if (!target) return invalidLinkPage();
    const list = await listOf(target);
    if (!list) return listGonePage(target.kind);
    return list.receives ? confirmUnsubscribePage(list.view, link.token) : alreadyUnsubscribedPage(list.view);
  };

  /** RFC 8058: mail clients POST `List-Unsubscribe=One-Click` to the link itself; so does the confirm page. */
  const unsubscribe: Route = async (request) => {
    const link = await check(singleValue(request.query, 'token'), 'unsubscribe');
    if (!link.ok) return refused(link, 'unsubscribe');
    const target = unsubscribeOf(link.claims);
    if (!target) return invalidLinkPage();
    const body = readOneClick(request);
    if (!body.ok) return formProblemPage(body.status);
    const list = await listOf(target);
    if (!list) return listGonePage(target.kind);
    if (!list.receives) {
      log.info('unsubscribe repeated', { kind: target.kind, id: target.id });
      return alreadyUnsubscribedPage(list.view);
    }
    const done = target.kind === 'pair' ? await followThrough.pairs.setUnsubscribed(target.id, target.recipient) : await followThrough.pairs.setGroupUnsubscribed(target.id, target.recipient);
    if (!done) return listGonePage(target.kind);
    log.info('unsubscribed', { kind: target.kind, id: target.id });
    return unsubscribedPage(list.view);
  };

  const home: Route = () => Promise.resolve(homePage());

  const routes: Readonly<Record<string, Partial<Record<'GET' | 'POST', Route>>>> = {
    '/': { GET: home },
    [WEB_PATHS.connect]: { GET: connect },
    [WEB_PATHS.oauthCallback]: { GET: oauthCallback },
    [WEB_PATHS.slot]: { GET: showSlot, POST: bookSlot },
    [WEB_PATHS.rebook]: { GET: showRebook, POST: rebook },
    [WEB_PATHS.answer]: { GET: showAnswer, POST: answer },
    [WEB_PATHS.unsubscribe]: { GET: showUnsubscribe, POST: unsubscribe },
  };

  return async (event: unknown): Promise<WebResponse> => {
    const parsed = functionUrlEventSchema.safeParse(event);
    if (!parsed.success) {
      log.error('not a function URL event', { issues: parsed.error.issues.length, paths: parsed.error.issues.slice(0, 5).map((issue) => issue.path.join('.')) });
      metrics.failure('invalid_event');
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
          metrics.failure('web_error');
          response = pageResponse(error instanceof CalendarUnavailableError ? calendarUnavailablePage() : serverErrorPage());
        }
      }
    }
    log.info('web request', { path: methods ? request.path : 'unknown', method, status: response.statusCode });
    return request.method === 'HEAD' ? { ...response, body: '' } : response;
  };
}

/** What an answer did, for the log and the used-token record: `applied:met`, `reminder_set`, `no_longer_applies:won`. */
function answerOutcome(result: AnswerResult): string {
  if (result.outcome === 'applied' || result.outcome === 'no_longer_applies') return `${result.outcome}:${result.status}`;
  return result.outcome;
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
const metrics = new PowertoolsBusinessMetrics();

/**
 * The Lambda entry point. The function cannot be told its own URL (a CloudFormation cycle), so
 * the first request's domain gives the base URL that links and the OAuth callback use; secrets
 * are read once per cold start, and a failure is not cached.
 */
export const handler = (event: unknown): Promise<WebResponse> => metrics.publishingAfter(() => handle(event));

const handle = async (event: unknown): Promise<WebResponse> => {
  const parsed = functionUrlEventSchema.safeParse(event);
  if (!parsed.success) {
    logger.error('not a function URL event', { issues: parsed.error.issues.length });
    metrics.failure('invalid_event');
    return pageResponse(badRequestPage());
  }
  configured ??= bookingRuntimeFromEnvironment(process.env, { webBaseUrl: `https://${parsed.data.requestContext.domainName}/`, metrics }).then(
    (runtime) => {
      const partnerStore = new DynamoPartnerStore(runtime.connection);
      return makeWebHandler({
        booking: runtime.booking,
        partners: partnerStore,
        oauth: runtime.oauth,
        sealer: runtime.sealer,
        signingKey: runtime.signingKey,
        verificationKeys: runtime.verificationKeys,
        reloadLinkKeys: runtime.readLinkKeys,
        followThrough: {
          store: new DynamoFollowUpStore(runtime.connection),
          pairs: new DynamoPairStore(runtime.connection),
          partners: partnerStore,
          clock: runtime.booking.clock,
        },
        usedTokens: new DynamoUsedTokenStore(runtime.connection),
        logger,
        metrics,
      });
    },
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
    metrics.failure('web_error');
    return pageResponse(unavailablePage());
  }
};
