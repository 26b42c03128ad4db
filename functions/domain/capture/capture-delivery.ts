import { peopleFrom, type Person } from '../message/person.ts';
import type { MailMessage } from '../message/mail-message.ts';
import { hasReplySubject, understandMessage, type Understanding } from '../message/understand-message.ts';
import { splitBody } from '../message/body-sections.ts';
import type { Pair, PairNote } from '../pairs/pair.ts';
import { deterministicId } from '../shared/ids.ts';
import type { Clock } from '../shared/clock.ts';
import { type InboundOutcome, type InboundRecord, type SesVerdicts } from './model.ts';
import { contactFrom, type Contact, type Introduction } from '../introductions/introduction.ts';
import type { Partner } from '../partners/partner.ts';
import { UnreadableMessageError, type CaptureStore, type MessageReader, type PartnerDirectory, type RawMailSource } from './ports.ts';
import { threadSubjectKey } from './thread-subject.ts';

/**
 * SES accepts messages up to 40 MB, but what makes an introduction is in a message's first
 * megabytes (the rest is attachments). Only this much is read and parsed, so a huge message costs
 * bounded memory and time; the raw message itself stays where it was stored, whole.
 */
export const MAX_MESSAGE_BYTES_READ = 10 * 1024 * 1024;
/** A cut message ends at a line break when there is one this close to the limit. */
const CUT_AT_LINE_WITHIN_BYTES = 64 * 1024;

/** A reply waits for at most this many of the Message-IDs it answers (the nearest ones). */
const MAX_AWAITED_MESSAGE_IDS = 10;

/** Kinds a person writes (not automated mail): only these can be replies worth recording. */
const PERSONAL_KINDS = new Set<Understanding['kind']>(['intro', 'reply', 'not_intro', 'ambiguous']);
/** A weekly reply is quoted next week: its first words are enough. */
const MAX_NOTE_CHARS = 1_000;

/** One delivery of one message to the capture address (an SES receipt, or a local SMTP session). */
export interface InboundDelivery {
  readonly deliveryId: string;
  readonly receivedAt: Date;
  /** Envelope recipients at the capture domain: a BCC'd capture address appears only here. */
  readonly envelopeRecipients: readonly string[];
  /** SES verdicts; null where there are none (local mode). */
  readonly verdicts: SesVerdicts | null;
  readonly rawLocation: string;
}

export interface CapturePolicy {
  readonly captureAddress: string;
  /** Every other address the system sends from. */
  readonly systemAddresses: readonly string[];
  readonly rejectOnSpamFail: boolean;
  readonly rejectOnDmarcFail: boolean;
}

/** Where replies to the weekly check-in go: notes on the pair, quoted in the next one. */
export interface PairNotes {
  getPair(id: string): Promise<Pick<Pair, 'id' | 'partners'> | null>;
  addNote(note: PairNote): Promise<'saved' | 'exists'>;
}

export interface CaptureDependencies {
  readonly store: CaptureStore;
  readonly pairNotes: PairNotes;
  readonly partners: PartnerDirectory;
  readonly rawMail: RawMailSource;
  readonly reader: MessageReader;
  readonly clock: Clock;
  readonly policy: CapturePolicy;
}

export interface CaptureResult {
  readonly outcome: InboundOutcome;
  readonly reasons: readonly string[];
  readonly introductionId: string | null;
  /** True when this delivery had been handled before (an SES redelivery or a Lambda retry). */
  readonly repeatDelivery: boolean;
}

/**
 * Handles one delivery to the capture address, exactly once in effect: whatever happens, the
 * delivery ends with one recorded outcome; a new introduction is written in one conditional
 * transaction, and a redelivery or retry only finishes what an earlier attempt left undone. The
 * capture sends no mail: the recorded outcome reaches the table stream, whose consumer on the jobs
 * side sends what it earns (`sendCaptureMail`), once.
 */
export async function captureDelivery(delivery: InboundDelivery, dependencies: CaptureDependencies): Promise<CaptureResult> {
  const previous = await dependencies.store.findInbound(delivery.deliveryId);
  if (previous) return finishEarlierAttempt(previous, dependencies);

  const verdictProblem = verdictRejection(delivery.verdicts, dependencies.policy);
  if (verdictProblem) return recordOutcome(delivery, dependencies, { outcome: 'rejected', reasons: [verdictProblem] });

  const { raw, cut } = boundedMessage(await dependencies.rawMail.read(delivery.rawLocation, { maxBytes: MAX_MESSAGE_BYTES_READ + 1 }));
  const cutNote = cut ? [`only the first ${MAX_MESSAGE_BYTES_READ / (1024 * 1024)} MB of this larger message were read`] : [];
  let message: MailMessage;
  try {
    message = await dependencies.reader.read(raw);
  } catch (error) {
    if (!(error instanceof UnreadableMessageError)) throw error;
    return recordOutcome(delivery, dependencies, { outcome: 'rejected', reasons: [...cutNote, `unreadable message: ${error.message}`] });
  }

  const understood = understandSafely(message, delivery, dependencies.policy);
  // First, so that the last reason stays the one that decided (the needs-attention email quotes it).
  const understanding = cut ? { ...understood, reasons: [...cutNote, ...understood.reasons] } : understood;
  const sender = peopleFrom(message.from)[0] ?? null;
  const facts = { understanding, sender, message };
  // A person's reply to one of our emails (a weekly check-in, a nudge) belongs to that pair or introduction.
  if (!understanding.fromSystem && PERSONAL_KINDS.has(understanding.kind) && understanding.kind !== 'intro' && (message.inReplyTo.length > 0 || message.references.length > 0)) {
    const thread = await dependencies.store.findThreadByMessageIds([...message.inReplyTo, ...message.references]);
    if (thread?.pairId) return recordPairNote(delivery, dependencies, facts, thread.pairId);
    if (thread?.introductionId) return attachReply(delivery, dependencies, facts, thread.introductionId);
  }
  switch (understanding.kind) {
    case 'intro':
      return captureIntroduction(delivery, dependencies, facts);
    case 'reply':
      return attachReply(delivery, dependencies, facts);
    case 'ambiguous':
      return recordAmbiguous(delivery, dependencies, facts);
    default:
      return recordOutcome(delivery, dependencies, { outcome: 'ignored', reasons: understanding.reasons, facts });
  }
}

interface MessageFacts {
  readonly understanding: Understanding;
  readonly sender: Person | null;
  readonly message: MailMessage;
}

async function captureIntroduction(delivery: InboundDelivery, dependencies: CaptureDependencies, facts: MessageFacts): Promise<CaptureResult> {
  const { understanding, message } = facts;
  const { store } = dependencies;
  if (message.messageId) {
    const existing = await store.findIntroductionIdByMessageIds([message.messageId]);
    if (existing) {
      return recordOutcome(delivery, dependencies, {
        outcome: 'duplicate',
        reasons: [`this introduction was already captured from another copy of the same message`],
        introductionId: existing,
        facts,
      });
    }
  }

  const parentId = await findThread(store, message, understanding);
  const owner = await findOwningPartner(dependencies.partners, [facts.sender, understanding.forwardedBy, understanding.introducer]);
  if (!owner) {
    const who = [...new Set([facts.sender, understanding.introducer].filter((person): person is Person => person?.address != null).map((person) => person.address))];
    const notPartner = `${who.join(' and ')} ${who.length > 1 ? 'are' : 'is'} not a registered partner`;
    if (parentId) return attachReply(delivery, dependencies, facts, parentId, [`introduces new people, but ${notPartner}`]);
    return recordOutcome(delivery, dependencies, { outcome: 'rejected', reasons: [...understanding.reasons, notPartner], facts });
  }

  const introducer = understanding.introducer ? contactFrom(understanding.introducer) : null;
  if (!introducer) return recordOutcome(delivery, dependencies, { outcome: 'ambiguous', reasons: ['the introducer has no email address'], facts });
  const createdAt = delivery.receivedAt.toISOString();
  const introduction: Introduction = {
    id: introductionIdFor(message, delivery),
    introducer,
    parties: understanding.parties.map(contactFrom).filter((contact): contact is Contact => contact !== null),
    forwardedBy: understanding.forwardedBy ? contactFrom(understanding.forwardedBy) : null,
    owner: owner.email,
    subject: message.subject,
    context: understanding.introText,
    messageId: message.messageId,
    repliesTo: parentId,
    status: 'introduced',
    createdAt,
    deliveryId: delivery.deliveryId,
    rawLocation: delivery.rawLocation,
  };
  const inbound = inboundRecord(delivery, { outcome: 'captured', reasons: understanding.reasons, introductionId: introduction.id, facts });
  const saved = await store.saveCapture({
    introduction,
    inbound,
    threadSubjectKey: threadSubjectKey(message.subject),
    event: {
      introductionId: introduction.id,
      at: createdAt,
      type: 'captured',
      by: facts.sender?.address ?? introducer.email,
      how: 'email',
      detail: introduction.forwardedBy ? `forwarded by ${introduction.forwardedBy.email}` : `captured from "${message.subject}"`,
      sourceId: delivery.deliveryId,
    },
  });
  if (saved === 'delivery_exists') return finishEarlierAttempt(await requireInbound(store, delivery.deliveryId), dependencies);
  if (saved === 'message_exists') {
    const existing = message.messageId ? await store.findIntroductionIdByMessageIds([message.messageId]) : null;
    return recordOutcome(delivery, dependencies, {
      outcome: 'duplicate',
      reasons: ['this introduction was captured from another copy of the same message at the same moment'],
      introductionId: existing,
      facts,
    });
  }
  await adoptWaitingReplies(introduction.id, introduction.messageId, dependencies);
  return { outcome: 'captured', reasons: inbound.reasons, introductionId: introduction.id, repeatDelivery: false };
}

async function attachReply(
  delivery: InboundDelivery,
  dependencies: CaptureDependencies,
  facts: MessageFacts,
  knownIntroductionId?: string,
  extraReasons: readonly string[] = [],
): Promise<CaptureResult> {
  const introductionId = knownIntroductionId ?? (await findThread(dependencies.store, facts.message, facts.understanding));
  if (!introductionId) return waitForThread(delivery, dependencies, facts);
  const reasons = [...extraReasons, `reply in the thread of introduction ${introductionId}`];
  const inbound = inboundRecord(delivery, { outcome: 'attached', reasons, introductionId, facts });
  const saved = await dependencies.store.saveReply({
    introductionId,
    messageId: facts.message.messageId,
    inbound,
    event: {
      introductionId,
      at: delivery.receivedAt.toISOString(),
      type: 'reply_received',
      by: facts.sender?.address ?? 'unknown',
      how: 'reply',
      detail: facts.message.subject,
      sourceId: delivery.deliveryId,
    },
  });
  if (saved === 'delivery_exists') return finishEarlierAttempt(await requireInbound(dependencies.store, delivery.deliveryId), dependencies);
  if (saved === 'message_exists') {
    return recordOutcome(delivery, dependencies, { outcome: 'duplicate', reasons: ['this reply was already recorded from another copy'], introductionId, facts });
  }
  await adoptWaitingReplies(introductionId, facts.message.messageId, dependencies);
  return { outcome: 'attached', reasons, introductionId, repeatDelivery: false };
}

/**
 * A reply in a thread with no recorded introduction. Mail does not always arrive in order (a
 * capture that failed is retried a minute later; a quick reply-all can overtake it), so a reply
 * that answers a Message-ID is kept waiting for it: when that message is captured, the reply joins
 * its introduction (`adoptWaitingReplies`). Until then, and forever if it never comes, the reply
 * is recorded as ignored, with the reason.
 */
async function waitForThread(delivery: InboundDelivery, dependencies: CaptureDependencies, facts: MessageFacts): Promise<CaptureResult> {
  const reasons = [...facts.understanding.reasons, 'no recorded introduction in this thread'];
  const awaited = [...new Set([...facts.message.inReplyTo, ...[...facts.message.references].reverse()])].slice(0, MAX_AWAITED_MESSAGE_IDS);
  if (awaited.length === 0) return recordOutcome(delivery, dependencies, { outcome: 'ignored', reasons, facts });
  const inbound = inboundRecord(delivery, { outcome: 'ignored', reasons: [...reasons, 'kept in case the message it answers arrives later'], facts });
  const saved = await dependencies.store.saveWaitingReply({ inbound, awaited });
  if (saved === 'delivery_exists') return finishEarlierAttempt(await requireInbound(dependencies.store, delivery.deliveryId), dependencies);
  const adopted = await adoptIfThreadArrived({ ...inbound, waitingFor: awaited }, dependencies);
  return adopted ?? { outcome: 'ignored', reasons: inbound.reasons, introductionId: null, repeatDelivery: false };
}

/**
 * The introduction may have been captured while the waiting reply was being written, and then it
 * did not see the reply waiting: look once more (write, then read, on both sides, so one of them sees the other).
 */
async function adoptIfThreadArrived(waiting: InboundRecord, dependencies: CaptureDependencies): Promise<CaptureResult | null> {
  const introductionId = waiting.waitingFor?.length ? await dependencies.store.findIntroductionIdByMessageIds(waiting.waitingFor) : null;
  if (!introductionId) return null;
  await adoptWaitingReply(waiting.deliveryId, introductionId, dependencies);
  await adoptWaitingReplies(introductionId, waiting.messageId, dependencies);
  const settled = await requireInbound(dependencies.store, waiting.deliveryId);
  return { outcome: settled.outcome, reasons: settled.reasons, introductionId: settled.introductionId, repeatDelivery: false };
}

/** Replies that arrived before `messageId` was captured join its introduction, and replies waiting for those, in turn. */
async function adoptWaitingReplies(introductionId: string, messageId: string | null, dependencies: CaptureDependencies): Promise<void> {
  const pending = messageId ? [messageId] : [];
  const seen = new Set<string>();
  for (let awaited = pending.shift(); awaited !== undefined; awaited = pending.shift()) {
    if (seen.has(awaited)) continue;
    seen.add(awaited);
    for (const deliveryId of await dependencies.store.findWaitingReplies(awaited)) {
      const joined = await adoptWaitingReply(deliveryId, introductionId, dependencies);
      if (joined) pending.push(joined);
    }
  }
}

/** One waiting reply joins the introduction; returns its Message-ID when it did (replies may wait for it in turn). */
async function adoptWaitingReply(deliveryId: string, introductionId: string, dependencies: CaptureDependencies): Promise<string | null> {
  const waiting = await dependencies.store.findInbound(deliveryId);
  if (!waiting?.waitingFor) return null;
  const result = await dependencies.store.adoptWaitingReply({
    deliveryId,
    introductionId,
    reasons: [`reply in the thread of introduction ${introductionId}`, 'it arrived before the message it answers'],
    event: {
      introductionId,
      at: waiting.receivedAt,
      type: 'reply_received',
      by: waiting.sender ?? 'unknown',
      how: 'reply',
      detail: waiting.subject ?? '',
      sourceId: deliveryId,
    },
  });
  return result === 'adopted' ? waiting.messageId : null;
}

async function recordPairNote(delivery: InboundDelivery, dependencies: CaptureDependencies, facts: MessageFacts, pairId: string): Promise<CaptureResult> {
  const pair = await dependencies.pairNotes.getPair(pairId);
  const from = facts.sender?.address ?? null;
  if (!pair || !from || !pair.partners.includes(from)) {
    return recordOutcome(delivery, dependencies, { outcome: 'ignored', reasons: ['a reply to a weekly check-in from someone outside the pair'], facts });
  }
  const text = splitBody(facts.message.text).newText.slice(0, MAX_NOTE_CHARS).trim();
  await dependencies.pairNotes.addNote({ pairId, from, receivedAt: delivery.receivedAt.toISOString(), text, deliveryId: delivery.deliveryId });
  return recordOutcome(delivery, dependencies, { outcome: 'attached', reasons: [`reply to the weekly check-in of pair ${pairId}, kept for next week`], facts });
}

async function recordAmbiguous(delivery: InboundDelivery, dependencies: CaptureDependencies, facts: MessageFacts): Promise<CaptureResult> {
  const partner = facts.sender?.address ? await dependencies.partners.getPartner(facts.sender.address) : null;
  const reasons = partner ? facts.understanding.reasons : [...facts.understanding.reasons, 'the sender is not a registered partner, so no one was told'];
  return recordOutcome(delivery, dependencies, { outcome: 'ambiguous', reasons, facts });
}

/**
 * A delivery seen before: finish whatever the earlier attempt may not have (the replies waiting
 * for its message); never write anything twice.
 */
async function finishEarlierAttempt(previous: InboundRecord, dependencies: CaptureDependencies): Promise<CaptureResult> {
  const result = { outcome: previous.outcome, reasons: previous.reasons, introductionId: previous.introductionId, repeatDelivery: true };
  // The earlier attempt may have stopped before the replies waiting for this message joined it.
  if ((previous.outcome === 'captured' || previous.outcome === 'attached') && previous.introductionId) {
    await adoptWaitingReplies(previous.introductionId, previous.messageId, dependencies);
  }
  if (previous.outcome === 'ignored' && previous.waitingFor) {
    const adopted = await adoptIfThreadArrived(previous, dependencies);
    if (adopted) return { ...adopted, repeatDelivery: true };
  }
  return result;
}

async function recordOutcome(
  delivery: InboundDelivery,
  dependencies: CaptureDependencies,
  outcome: { outcome: InboundOutcome; reasons: readonly string[]; introductionId?: string | null; facts?: MessageFacts },
): Promise<CaptureResult> {
  const inbound = inboundRecord(delivery, outcome);
  const saved = await dependencies.store.saveOutcome(inbound);
  if (saved === 'delivery_exists') return finishEarlierAttempt(await requireInbound(dependencies.store, delivery.deliveryId), dependencies);
  return { outcome: inbound.outcome, reasons: inbound.reasons, introductionId: inbound.introductionId, repeatDelivery: false };
}

function inboundRecord(
  delivery: InboundDelivery,
  outcome: { outcome: InboundOutcome; reasons: readonly string[]; introductionId?: string | null; facts?: MessageFacts },
): InboundRecord {
  return {
    deliveryId: delivery.deliveryId,
    receivedAt: delivery.receivedAt.toISOString(),
    outcome: outcome.outcome,
    kind: outcome.facts?.understanding.kind ?? null,
    reasons: outcome.reasons,
    introductionId: outcome.introductionId ?? null,
    messageId: outcome.facts?.message.messageId ?? null,
    sender: outcome.facts?.sender?.address ?? null,
    subject: outcome.facts?.message.subject ?? null,
    rawLocation: delivery.rawLocation,
    verdicts: delivery.verdicts,
  };
}

async function requireInbound(store: CaptureStore, deliveryId: string): Promise<InboundRecord> {
  const inbound = await store.findInbound(deliveryId);
  if (!inbound) throw new Error(`delivery ${deliveryId} was reported as recorded but cannot be read back`);
  return inbound;
}

/** The message as read, or its first `MAX_MESSAGE_BYTES_READ` bytes (cut after a line break when one is near). */
function boundedMessage(stored: Buffer): { raw: Buffer; cut: boolean } {
  if (stored.length <= MAX_MESSAGE_BYTES_READ) return { raw: stored, cut: false };
  const lineEnd = stored.lastIndexOf(0x0a, MAX_MESSAGE_BYTES_READ - 1);
  const end = lineEnd >= MAX_MESSAGE_BYTES_READ - CUT_AT_LINE_WITHIN_BYTES ? lineEnd + 1 : MAX_MESSAGE_BYTES_READ;
  return { raw: stored.subarray(0, end), cut: true };
}

function understandSafely(message: MailMessage, delivery: InboundDelivery, policy: CapturePolicy): Understanding {
  const captureDomain = policy.captureAddress.split('@')[1] ?? '';
  const envelopeCaptureAddresses = delivery.envelopeRecipients.map((address) => address.toLowerCase()).filter((address) => address.endsWith(`@${captureDomain}`));
  try {
    return understandMessage(message, {
      captureAddresses: new Set([policy.captureAddress, ...envelopeCaptureAddresses]),
      systemAddresses: new Set(policy.systemAddresses),
    });
  } catch (error) {
    return {
      kind: 'ambiguous',
      introducer: null,
      parties: [],
      unaddressedParties: [],
      forwardedBy: null,
      subject: message.subject,
      messageId: message.messageId,
      inReplyTo: message.inReplyTo[0] ?? null,
      references: [...message.references],
      introText: '',
      fromSystem: false,
      reasons: [`the message could not be understood (${error instanceof Error ? error.name : 'error'})`],
    };
  }
}

function verdictRejection(verdicts: SesVerdicts | null, policy: CapturePolicy): string | null {
  if (!verdicts) return null;
  if (verdicts.virus === 'FAIL') return 'the virus scan failed';
  if (policy.rejectOnSpamFail && verdicts.spam === 'FAIL') return 'the spam check failed';
  if (policy.rejectOnDmarcFail && verdicts.dmarc === 'FAIL') return "the sender's domain failed DMARC, so the sender may be forged";
  return null;
}

/** The thread a message continues: by In-Reply-To/References, else by subject among the same people. */
async function findThread(store: CaptureStore, message: MailMessage, understanding: Understanding): Promise<string | null> {
  const referenced = [...message.inReplyTo, ...message.references];
  if (referenced.length > 0) {
    const byReference = await store.findIntroductionIdByMessageIds(referenced);
    if (byReference) return byReference;
  }
  const subjectKey = threadSubjectKey(message.subject);
  // Only a message that says it is a reply may join a thread by its subject.
  if (!subjectKey || !hasReplySubject(message.subject)) return null;
  const people = new Set(
    [...peopleFrom(message.from), ...peopleFrom(message.to), ...peopleFrom(message.cc), ...(understanding.introducer ? [understanding.introducer] : [])]
      .map((person) => person.address)
      .filter((address): address is string => address !== null),
  );
  const candidates = await store.findIntroductionsByThreadSubject(subjectKey);
  const match = candidates.find((introduction) => {
    const introPeople = [introduction.introducer.email, ...introduction.parties.map((party) => party.email)];
    return introPeople.filter((email) => people.has(email)).length >= 2 && introduction.messageId !== message.messageId;
  });
  return match?.id ?? null;
}

async function findOwningPartner(directory: PartnerDirectory, people: readonly (Person | null)[]): Promise<Partner | null> {
  const seen = new Set<string>();
  for (const person of people) {
    if (!person?.address || seen.has(person.address)) continue;
    seen.add(person.address);
    const partner = await directory.getPartner(person.address);
    if (partner) return partner;
  }
  return null;
}

/** Same message, same id: two copies of one introduction (CC and BCC, two capture addresses) collide. */
function introductionIdFor(message: MailMessage, delivery: InboundDelivery): string {
  return message.messageId ? deterministicId('message-id', message.messageId) : deterministicId('delivery', delivery.deliveryId);
}
