import { classifyAutomated } from './automated-mail.ts';
import { splitBody, type QuotedMessage } from './body-sections.ts';
import { copiedOnlyPeople, findIntroCues, partiesMentioned, partiesNamed, type IntroCue } from './intro-language.ts';
import { headerValues, type MailMessage } from './mail-message.ts';
import type { MessageKind } from './message-kinds.ts';
import { normalizeAddress, peopleFrom, personLabel, uniquePeople, type Person } from './person.ts';

export { MESSAGE_KINDS, type MessageKind } from './message-kinds.ts';

export interface UnderstandingContext {
  /** Capture addresses, including the envelope recipient the message was delivered to (lower-case). */
  readonly captureAddresses: ReadonlySet<string>;
  /** Every address the system itself uses (capture and sender addresses), lower-case. */
  readonly systemAddresses: ReadonlySet<string>;
}

export interface Understanding {
  readonly kind: MessageKind;
  /** Who made the introduction: the sender, or for a forwarded introduction the original sender. */
  readonly introducer: Person | null;
  /** The people introduced to each other who have an address, in the order they were addressed. */
  readonly parties: readonly Person[];
  /** People the message introduces but gives no address for (why it is ambiguous). */
  readonly unaddressedParties: readonly Person[];
  /** The partner who forwarded an introduction they received, when it came in as a forward. */
  readonly forwardedBy: Person | null;
  readonly subject: string;
  readonly messageId: string | null;
  readonly inReplyTo: string | null;
  readonly references: readonly string[];
  /** Why the message got its kind, in words a person can check. */
  readonly reasons: readonly string[];
  /** What the introducer wrote (above any quote), trimmed: context for the meeting invitation. */
  readonly introText: string;
  /** Sent by this system (our marker, or our own address): never captured, threaded or answered. */
  readonly fromSystem: boolean;
}

/** Enough of the introduction's own words to say why the two should meet. */
export const MAX_INTRO_TEXT_CHARS = 1_000;

/**
 * An introduction says what it is in its first lines: intro language, copies and mentions are
 * looked for in this much of what the sender wrote now. It bounds the work per message (the cue
 * patterns cost about a microsecond per character) whatever a hostile body holds.
 */
export const MAX_CUE_TEXT_CHARS = 20_000;
/** Subjects are short; a hostile one is only read this far. */
const MAX_CUE_SUBJECT_CHARS = 1_000;

/**
 * More people than this is a mailing, not an introduction (referral groups have at most 12 members).
 * It also keeps the capture transaction (one item per person) far under DynamoDB's 100-item limit.
 */
export const MAX_INTRODUCED_PARTIES = 20;

const REPLY_SUBJECT = /^\s*(?:re|aw|sv|antw|odp|ynt|rif|res|ref)\s*(?:\[\d+\])?\s*:/i;

/** "Re:", "AW:", "SV:"... in the languages mail clients use. */
export function hasReplySubject(subject: string): boolean {
  return REPLY_SUBJECT.test(subject);
}
const FORWARD_SUBJECT = /^\s*(?:\[\s*)?(?:fw|fwd|wg|tr|rv|enc|doorst|fs|vs)\s*(?:\[\d+\])?\s*:/i;

/**
 * Decides what a message that reached the capture address is, and for an introduction who
 * introduced whom. Pure: the same message and context always give the same answer, and it never
 * throws on odd input (callers still guard, since the input is hostile by nature).
 */
export function understandMessage(message: MailMessage, context: UnderstandingContext): Understanding {
  const base = {
    subject: message.subject,
    messageId: message.messageId,
    inReplyTo: message.inReplyTo[0] ?? null,
    references: [...message.references],
    introText: '',
    fromSystem: false,
  };
  const sender = peopleFrom(message.from)[0] ?? null;
  const systemAddresses = new Set([...context.systemAddresses, ...context.captureAddresses]);

  const automated = classifyAutomated(message, { addresses: systemAddresses });
  if (automated) {
    const kind: MessageKind = automated.kind === 'own' ? 'not_intro' : automated.kind;
    return { ...base, kind, fromSystem: automated.kind === 'own', introducer: null, parties: [], unaddressedParties: [], forwardedBy: null, reasons: [automated.reason] };
  }
  if (!sender?.address) {
    return { ...base, kind: 'ambiguous', introducer: null, parties: [], unaddressedParties: [], forwardedBy: null, reasons: ['the message has no sender address'] };
  }

  const reasons: string[] = [];
  const isSystem = (person: Person): boolean => person.address !== null && systemAddresses.has(person.address);
  const recipients = peopleFrom([...message.to, ...message.cc, ...bccHeaderAddresses(message)]).filter(
    (person) => !isSystem(person) && person.address !== sender.address,
  );
  // Only the first quoted message is read: it is the one a forward carries.
  const sections = splitBody(message.text, 1);
  const writtenNow = sections.newText.slice(0, MAX_CUE_TEXT_CHARS);
  const subject = message.subject.slice(0, MAX_CUE_SUBJECT_CHARS);
  const forwarded = forwardedMessage(message, sections.quoted, sections.hasForwardMarker);

  if (recipients.length === 0) {
    if (forwarded) return understandForwardedToCapture(base, sender, forwarded, isSystem);
    const cues = findIntroCues(writtenNow, subject, []);
    const strong = cues.find((cue) => cue.strength === 'strong');
    return {
      ...base,
      kind: strong ? 'ambiguous' : 'not_intro',
      introducer: strong ? sender : null,
      parties: [],
      unaddressedParties: [],
      forwardedBy: null,
      reasons: ['addressed to no one but the capture address, and no forwarded introduction was found', ...(strong ? [cueReason(strong)] : [])],
    };
  }

  // An introducer forwarding someone's note ("attached is Mike's resume, you should talk") introduces its sender.
  const forwardedSenders = forwarded ? forwarded.from.filter((person) => !isSystem(person) && person.address !== sender.address) : [];
  const copiedOnly = copiedOnlyPeople(writtenNow, recipients);
  for (const person of copiedOnly) reasons.push(`${personLabel(person)} is only copied, not introduced`);
  const candidates = recipients.filter((person) => !copiedOnly.includes(person));
  const mentionedForwardedSenders = partiesMentioned(writtenNow, forwardedSenders);
  const allCandidates = uniquePeople([...candidates, ...mentionedForwardedSenders]);

  const isReply = message.inReplyTo.length > 0 || message.references.length > 0 || REPLY_SUBJECT.test(message.subject);
  // A reply inherits its subject ("Re: Intro: Jane <> Bob"); only what the reply itself says counts.
  const cues = findIntroCues(writtenNow, isReply ? '' : subject, allCandidates);
  const mentioned = partiesMentioned(writtenNow, allCandidates);
  const strong = cues.find((cue) => cue.strength === 'strong');
  const weak = cues.find((cue) => cue.strength === 'weak');

  if (!strong && !(weak && mentioned.length > 0)) {
    const kind: MessageKind = isReply ? 'reply' : 'not_intro';
    reasons.push(isReply ? 'a reply in a thread that introduces no one new' : 'no introduction language naming the people on the message');
    return { ...base, kind, introducer: null, parties: [], unaddressedParties: [], forwardedBy: null, reasons };
  }

  reasons.push(cueReason(strong ?? weak));
  if (!strong && weak) reasons.push(`names ${mentioned.map(personLabel).join(', ')}`);
  if (mentionedForwardedSenders.length > 0) reasons.push(`introduces the sender of the forwarded note, ${mentionedForwardedSenders.map(personLabel).join(', ')}`);
  return withParties(
    { ...base, introText: excerpt(writtenNow), introducer: sender, forwardedBy: null },
    allCandidates,
    reasons,
    Boolean(strong) || mentioned.some((person) => !person.address),
  );
}

/** A line without the spaces and tabs at its end. A loop: `/[ \t]+\n/` rescans a long run of blanks from each of its positions. */
function withoutTrailingBlanks(line: string): string {
  let end = line.length;
  while (end > 0 && (line[end - 1] === ' ' || line[end - 1] === '\t')) end--;
  return line.slice(0, end);
}

type BaseUnderstanding = Pick<Understanding, 'subject' | 'messageId' | 'inReplyTo' | 'references' | 'introText' | 'fromSystem'>;

function excerpt(text: string): string {
  const compact = text.split('\n').map(withoutTrailingBlanks).join('\n').replace(/\n{3,}/g, '\n\n').trim();
  return compact.length > MAX_INTRO_TEXT_CHARS ? `${compact.slice(0, MAX_INTRO_TEXT_CHARS - 1)}…` : compact;
}

/** A partner forwarded an introduction they received to the capture address (and no one else). */
function understandForwardedToCapture(
  forwardBase: BaseUnderstanding,
  forwarder: Person,
  forwarded: QuotedMessage,
  isSystem: (person: Person) => boolean,
): Understanding {
  const innerText = splitBody(forwarded.body, 0).newText.slice(0, MAX_CUE_TEXT_CHARS);
  const base = { ...forwardBase, introText: excerpt(innerText) };
  const introducer = forwarded.from.find((person) => !isSystem(person)) ?? null;
  const reasons = [`forwarded by ${personLabel(forwarder)}`];
  if (!introducer) {
    return { ...base, kind: 'ambiguous', introducer: null, parties: [], unaddressedParties: [], forwardedBy: forwarder, reasons: [...reasons, 'the forwarded message shows no sender'] };
  }
  // "To: Bessie Berry" without an address, forwarded by Bessie Berry <bessie@...>: that is the forwarder.
  const withForwarderAddress = (person: Person): Person => (!person.address && partiesNamed(person.name ?? '', [forwarder]).length > 0 ? forwarder : person);
  const recipients = uniquePeople([...forwarded.to, ...forwarded.cc].map(withForwarderAddress)).filter(
    (person) => !isSystem(person) && !samePerson(person, introducer),
  );
  const copiedOnly = copiedOnlyPeople(innerText, recipients);
  for (const person of copiedOnly) reasons.push(`${personLabel(person)} is only copied, not introduced`);
  reasons.push(`original sender ${personLabel(introducer)}`);
  const forwardedBy = samePerson(forwarder, introducer) ? null : forwarder;
  if (!introducer.address) {
    reasons.push(`the forwarded message gives no address for its sender, ${personLabel(introducer)}`);
    const parties = recipients.filter((person) => person.address !== null);
    return { ...base, kind: 'ambiguous', introducer, forwardedBy, parties, unaddressedParties: recipients.filter((person) => !person.address), reasons };
  }
  return withParties({ ...base, introducer, forwardedBy }, recipients.filter((person) => !copiedOnly.includes(person)), reasons, true);
}

function withParties(
  understanding: BaseUnderstanding & Pick<Understanding, 'introducer' | 'forwardedBy'>,
  people: readonly Person[],
  reasons: string[],
  ambiguousWhenShort: boolean,
): Understanding {
  // In the order the introducer addressed them (To, then Cc): when both are partners, the first one's calendar is used.
  const parties = people.filter((person) => person.address !== null);
  const unaddressedParties = people.filter((person) => person.address === null);
  if (parties.length > MAX_INTRODUCED_PARTIES) {
    reasons.push(`${parties.length} people are addressed; an introduction connects a few people, so it is not recorded as one`);
    return { ...understanding, kind: 'ambiguous', parties: [], unaddressedParties: [], reasons };
  }
  if (parties.length >= 2) return { ...understanding, kind: 'intro', parties, unaddressedParties, reasons };
  const missing = unaddressedParties.map(personLabel);
  reasons.push(
    `only ${parties.length} of the people introduced ${parties.length === 1 ? 'has' : 'have'} an email address` +
      (missing.length > 0 ? `; no address for ${missing.join(', ')}` : ''),
  );
  if (!ambiguousWhenShort) return { ...understanding, kind: 'not_intro', introducer: null, forwardedBy: null, parties: [], unaddressedParties: [], reasons };
  return { ...understanding, kind: 'ambiguous', parties, unaddressedParties, reasons };
}

/** The message being forwarded: an attached message/rfc822, or the first quoted block of a forward. */
function forwardedMessage(message: MailMessage, quoted: readonly QuotedMessage[], hasForwardMarker: boolean): QuotedMessage | null {
  const attached = message.attachedMessages[0];
  if (attached) {
    return {
      marker: 'forward',
      from: peopleFrom(attached.from),
      to: peopleFrom(attached.to),
      cc: peopleFrom(attached.cc),
      subject: attached.subject,
      body: attached.text,
    };
  }
  const first = quoted[0];
  if (!first || first.from.length === 0) return null;
  const looksForwarded = hasForwardMarker || FORWARD_SUBJECT.test(message.subject) || first.marker === 'forward';
  return looksForwarded ? first : null;
}

/** Some archives keep a Bcc header on the sender's copy; those people were addressed too. */
function bccHeaderAddresses(message: MailMessage): MailMessage['to'] {
  return headerValues(message, 'bcc').flatMap((value) =>
    value
      .split(',')
      .map((part) => normalizeAddress(angleBracketed(part)))
      .filter((address): address is string => address !== null)
      .map((address) => ({ address, name: '' })),
  );
}

/**
 * "Name <a@b>" → "a@b"; anything else as it is. String search, not /.*</: that pattern retried
 * from every position of a long part without "<", quadratic time (a second for 30 KB).
 */
function angleBracketed(part: string): string {
  const open = part.lastIndexOf('<');
  const inner = open >= 0 ? part.slice(open + 1) : part;
  const close = inner.indexOf('>');
  return close >= 0 ? inner.slice(0, close) : inner;
}

function samePerson(a: Person, b: Person): boolean {
  if (a.address && b.address) return a.address === b.address;
  return Boolean(a.name && b.name && a.name.toLowerCase() === b.name.toLowerCase());
}

function cueReason(cue: IntroCue | undefined): string {
  return cue ? `introduction language (${cue.strength}): "${cue.phrase.slice(0, 80)}"` : 'introduction language';
}
