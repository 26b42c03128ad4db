import { contactLabel, type Contact, type Meeting } from '../introductions/introduction.ts';
import type { IntroductionStatus } from '../introductions/status.ts';
import { emailButton, emailPage, firstName } from '../outbound/email-layout.ts';
import type { OutboundEmail } from '../outbound/outbound-email.ts';
import { escapeHtml } from '../shared/html.ts';
import type { AnswerLink, CloseQuestionView, NotAFitView, NudgeView, OutcomeQuestionView, ProgressUpdateView } from './follow-up-views.ts';

/**
 * The follow-up emails: a nudge, "how did it go?", "did it close?" to the partner; a progress
 * update and thank-you to the introducer; the referral ask when a prospect was not a fit. Each
 * is short, asks one thing, and puts the one-click answers right under the question. The views
 * carry everything (signed links included); these functions only word and lay it out.
 */

/** To the receiving partner when no meeting is booked two business days after the introduction. */
export function nudgeEmail(view: NudgeView): OutboundEmail {
  const { partner, prospect, introducer, introduction } = view;
  const who = contactLabel(prospect);
  return followUpEmail(view, {
    purpose: 'nudge',
    to: partner,
    subject: `Any luck with ${who}?`,
    blocks: [
      paragraph(`Hi ${firstName(partner)},`),
      ask(`Any luck with ${who}? ${contactLabel(introducer)} introduced you on ${day(introduction.createdAt, partner.timeZone)}, and no meeting is booked yet.`, view.answers),
      note(`${callName(prospect)}'s address, if you want to write again: ${prospect.email}`),
    ],
  });
}

/** To the partner two hours after the meeting ended: "How did it go with Bob?". */
export function outcomeQuestionEmail(view: OutcomeQuestionView): OutboundEmail {
  const { partner, prospect, introducer, meeting } = view;
  const name = callName(prospect);
  // "We booked it ourselves" leaves no recorded meeting: then no time is named.
  const when = meeting ? ` You met on ${day(meeting.start, meeting.timeZone)} at ${time(meeting.start, meeting.timeZone)}` : '';
  return followUpEmail(view, {
    purpose: 'outcome_question',
    to: partner,
    subject: `How did it go with ${contactLabel(prospect)}?`,
    blocks: [
      paragraph(`Hi ${firstName(partner)},`),
      ask(`How did it go with ${name}?${when} (${contactLabel(introducer)}'s introduction).`, view.answers),
      note(`When there is news, ${callName(introducer)} gets a short update from you, with thanks.`),
    ],
  });
}

/** To the partner some time after a good meeting: "Did it close?" (won leads to a page that takes an amount). */
export function closeQuestionEmail(view: CloseQuestionView): OutboundEmail {
  const { partner, prospect, introducer, introduction } = view;
  const who = contactLabel(prospect);
  const meeting = introduction.meeting ?? null;
  const met = meeting ? ` You met on ${day(meeting.start, meeting.timeZone)}` : ' You met';
  const again = view.askNumber > 1 ? ', and last time it was still open' : '';
  const won = view.answers.find((answer) => answer.answer === 'won');
  return followUpEmail(view, {
    purpose: 'close_question',
    to: partner,
    subject: `Did it close with ${who}?`,
    blocks: [
      paragraph(`Hi ${firstName(partner)},`),
      ask(`Did it close with ${who}?${met}${again} (${contactLabel(introducer)}'s introduction).`, view.answers),
      note(won ? `“${won.label}” lets you add the amount, if you want to; ${callName(introducer)} gets a thank-you from you.` : `${callName(introducer)} hears the news from you, with thanks.`),
    ],
  });
}

/**
 * To the introducer, in the partner's voice: what happened since the last update, in order, and
 * thanks; on `won` a clear thank-you for closed business. Replies go to the partner.
 */
export function progressUpdateEmail(view: ProgressUpdateView): OutboundEmail {
  const { partner, prospect, introducer, introduction } = view;
  const who = contactLabel(prospect);
  const me = callName(partner);
  const changes = [...view.changes].sort((a, b) => a.at.localeCompare(b.at));
  const statuses = changes.map((change) => change.status);
  const meeting = view.meeting ?? introduction.meeting ?? null;
  // The introducer's time zone is not known: dates (not times) in the meeting's or partner's zone.
  const zone = meeting?.timeZone ?? partner.timeZone;
  const happened = changes
    .map((change) => progressSentence(change.status, { prospect: callName(prospect), meeting, at: change.at, zone, amount: view.amount }))
    .filter((sentence): sentence is string => sentence !== null);
  const won = statuses.includes('won');
  const news = won ? null : [...statuses].reverse().find((status) => SUBJECT_NEWS[status] !== undefined);
  const subject = won ? `Thank you: ${who} became a client` : `Update from ${me}: ${news ? (SUBJECT_NEWS[news]?.(who) ?? who) : who}`;
  const thanks = won
    ? `Thank you, ${firstName(introducer)}. This business came from your introduction, and I'm grateful you thought of me.`
    : statuses.includes('not_a_fit')
      ? `Thank you for thinking of me all the same.`
      : `Thank you for the introduction.`;
  return followUpEmail(view, {
    purpose: 'progress_update',
    to: introducer,
    replyTo: partner,
    subject,
    blocks: [
      paragraph(`Hi ${firstName(introducer)},`),
      paragraph([`An update on ${who}, whom you introduced me to on ${day(introduction.createdAt, zone)}.`, ...happened].join(' ')),
      paragraph(thanks, won),
      paragraph(me),
      note(`Sent automatically on ${me}'s behalf. Reply and it goes to ${me} directly.`),
    ],
  });
}

/** To the partner when a prospect was not a fit: ask for referrals anyway, with a note ready to send. */
export function notAFitEmail(view: NotAFitView): OutboundEmail {
  const { partner, prospect } = view;
  const who = contactLabel(prospect);
  const name = callName(prospect);
  return followUpEmail(view, {
    purpose: 'not_a_fit',
    to: partner,
    subject: `${who} wasn't a fit: ask for referrals anyway?`,
    blocks: [
      paragraph(`Hi ${firstName(partner)},`),
      paragraph(`${who} wasn't a fit this time. Still worth asking: ${name} now knows what you do, and may know someone who needs it. Here is a note you can send as it is:`),
      quote(view.referralAskNote),
      link(`Send the note to ${name}`, view.mailtoUrl),
      note(`${name} stays on record as an advocate: someone who may send people your way.`),
    ],
  });
}

// ---------------------------------------------------------------------------------------------
// Wording shared with the pair emails.

/** The partner's story of one status change, or null for a change the introducer need not hear. */
function progressSentence(status: IntroductionStatus, context: { prospect: string; meeting: Meeting | null; at: string; zone: string; amount: number | null }): string | null {
  const { prospect, meeting, zone } = context;
  const on = (iso: string) => ` on ${day(iso, zone)}`;
  switch (status) {
    case 'meeting_booked':
      return meeting ? `${prospect} and I have a meeting booked for ${day(meeting.start, zone)}.` : `${prospect} and I have booked a meeting.`;
    case 'met':
      return `We met${on(meeting?.start ?? context.at)}, and it looks promising.`;
    case 'won':
      return context.amount !== null && context.amount > 0 ? `${prospect} is now a client: ${formatAmount(context.amount)} of closed business.` : `${prospect} is now a client.`;
    case 'lost':
      return `In the end ${prospect} decided not to go ahead.`;
    case 'not_a_fit':
      return `It turns out not to be a fit for what I do this time.`;
    case 'no_show':
      return `${prospect} couldn't make our meeting${meeting ? on(meeting.start) : ''}.`;
    case 'unreachable':
      return `I haven't managed to reach ${prospect} yet.`;
    case 'awaiting_booking':
      return `We're finding a new time to meet.`;
    case 'cancelled':
      return `Things with ${prospect} are on hold for now.`;
    case 'introduced':
      return null;
  }
}

const SUBJECT_NEWS: Partial<Record<IntroductionStatus, (who: string) => string>> = {
  meeting_booked: (who) => `meeting booked with ${who}`,
  met: (who) => `met ${who}`,
  not_a_fit: (who) => `${who}, not a fit this time`,
  lost: (who) => `${who} decided not to go ahead`,
  no_show: (who) => `${who} missed the meeting`,
  unreachable: (who) => `couldn't reach ${who} yet`,
  awaiting_booking: (who) => `rescheduling with ${who}`,
  cancelled: (who) => `${who}, on hold for now`,
};

/** "Bob" for Bob Roe (or Roe, Bob, or bob.roe@...); the address when nothing like a name is known. */
export function callName(person: { readonly email: string; readonly name: string | null }): string {
  const name = firstName(person);
  return name === 'there' && !person.name?.trim() ? person.email : name;
}

/** "12,000" or "12,000.50" (the views carry no currency). */
export function formatAmount(amount: number): string {
  const digits = Number.isInteger(amount) ? 0 : 2;
  return new Intl.NumberFormat('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits }).format(amount);
}

/** "Tue 24 Nov" in the zone given (UTC when the zone is unknown). */
export function day(iso: string, timeZone: string): string {
  return format(iso, timeZone, { weekday: 'short', day: 'numeric', month: 'short' });
}

/** "Tue" in the zone given. */
export function weekday(iso: string, timeZone: string): string {
  return format(iso, timeZone, { weekday: 'short' });
}

/** "10:00" (24-hour) in the zone given. */
export function time(iso: string, timeZone: string): string {
  return format(iso, timeZone, { hour: '2-digit', minute: '2-digit', hour12: false });
}

function format(iso: string, timeZone: string, options: Intl.DateTimeFormatOptions): string {
  const date = new Date(iso);
  try {
    return new Intl.DateTimeFormat('en-GB', { ...options, timeZone }).format(date);
  } catch {
    return new Intl.DateTimeFormat('en-GB', { ...options, timeZone: 'UTC' }).format(date);
  }
}

/** "Ana, Victor and Lena". */
export function joinNames(names: readonly string[]): string {
  if (names.length <= 1) return names[0] ?? '';
  return `${names.slice(0, -1).join(', ')} and ${names.at(-1) ?? ''}`;
}

/** A header-safe subject: one line, no control characters. */
export function oneLine(text: string): string {
  return text
    .replace(/[\u0000-\u001f\u007f\u2028\u2029]+/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}

// ---------------------------------------------------------------------------------------------
// Layout: the body as blocks of plain text, rendered once as text and once as escaped HTML.

export type Block =
  | { readonly kind: 'paragraph'; readonly text: string; readonly strong: boolean }
  /** A question with its one-click answers right under it (a button each; a URL each in text). */
  | { readonly kind: 'ask'; readonly question: string; readonly answers: readonly AnswerLink[] }
  /** Someone's own words, shown as they are. */
  | { readonly kind: 'quote'; readonly text: string; readonly lead: string | null }
  | { readonly kind: 'link'; readonly label: string; readonly url: string }
  /** A list of short lines under a lead-in. */
  | { readonly kind: 'list'; readonly lead: string; readonly items: readonly string[] }
  /** Small print: context, who sent it, how to stop it. */
  | { readonly kind: 'note'; readonly text: string; readonly link?: { readonly label: string; readonly url: string } };

// Every block but a quote is one line: a name with a line break in it stays on its line.
export const paragraph = (text: string, strong = false): Block => ({ kind: 'paragraph', text: oneLine(text), strong });
export const ask = (question: string, answers: readonly AnswerLink[]): Block => ({
  kind: 'ask',
  question: oneLine(question),
  answers: answers.map((answer) => ({ ...answer, label: oneLine(answer.label) })),
});
export const quote = (text: string, lead: string | null = null): Block => ({ kind: 'quote', text: text.replace(/\r\n?/g, '\n'), lead: lead === null ? null : oneLine(lead) });
export const link = (label: string, url: string): Block => ({ kind: 'link', label: oneLine(label), url });
export const list = (lead: string, items: readonly string[]): Block => ({ kind: 'list', lead: oneLine(lead), items: items.map(oneLine) });
export const note = (text: string, link?: { label: string; url: string }): Block =>
  link ? { kind: 'note', text: oneLine(text), link: { label: oneLine(link.label), url: link.url } } : { kind: 'note', text: oneLine(text) };

/** The plain-text body: blocks apart by a blank line, URLs in full. */
export function renderText(blocks: readonly Block[]): string {
  return blocks
    .map((block) => {
      switch (block.kind) {
        case 'paragraph':
          return block.text;
        case 'ask':
          return [block.question, ...block.answers.map((answer) => `  ${answer.label}: ${answer.url}`)].join('\n');
        case 'quote': {
          const quoted = block.text.split('\n').map((line) => (line ? `> ${line}` : '>'));
          return [...(block.lead ? [block.lead] : []), ...quoted].join('\n');
        }
        case 'link':
          return `${block.label}: ${block.url}`;
        case 'list':
          return [block.lead, ...block.items.map((item) => `  - ${item}`)].join('\n');
        case 'note':
          return block.link ? `${block.text}${block.text ? ' ' : ''}${block.link.label}: ${block.link.url}` : block.text;
      }
    })
    .join('\n\n');
}

/** The HTML body: every value escaped, answers as buttons right under their question. */
export function renderHtml(blocks: readonly Block[]): string {
  return emailPage(
    blocks.map((block) => {
      switch (block.kind) {
        case 'paragraph':
          return block.strong ? `<p><strong>${escapeHtml(block.text)}</strong></p>` : `<p>${escapeHtml(block.text)}</p>`;
        case 'ask':
          return `<p><strong>${escapeHtml(block.question)}</strong><br>${block.answers.map((answer) => emailButton(answer.label, answer.url)).join(' ')}</p>`;
        case 'quote':
          return [
            ...(block.lead ? [`<p style="margin-bottom:4px">${escapeHtml(block.lead)}</p>`] : []),
            `<blockquote style="margin:0 0 16px;padding:8px 12px;border-left:3px solid #ccc;color:#333;white-space:pre-wrap">${escapeHtml(block.text)}</blockquote>`,
          ].join('\n');
        case 'link':
          return `<p>${emailButton(block.label, block.url)}</p>`;
        case 'list':
          return `<p style="margin-bottom:4px">${escapeHtml(block.lead)}</p>\n<ul style="margin-top:0;padding-left:20px">${block.items.map((item) => `<li>${escapeHtml(item)}</li>`).join('')}</ul>`;
        case 'note': {
          const linked = block.link ? `${block.text ? ' ' : ''}<a href="${escapeHtml(block.link.url)}" style="color:#555">${escapeHtml(block.link.label)}</a>` : '';
          return `<p style="color:#555;font-size:14px">${escapeHtml(block.text)}${linked}</p>`;
        }
      }
    }),
  );
}

function followUpEmail(
  view: Pick<NudgeView, 'outboxKey' | 'introduction'>,
  options: { purpose: OutboundEmail['purpose']; to: Contact; replyTo?: Contact; subject: string; blocks: readonly Block[] },
): OutboundEmail {
  const { introduction } = view;
  return {
    outboxKey: view.outboxKey,
    purpose: options.purpose,
    to: [{ email: options.to.email, name: options.to.name }],
    ...(options.replyTo ? { replyTo: [{ email: options.replyTo.email, name: options.replyTo.name }] } : {}),
    subject: oneLine(options.subject),
    text: renderText(options.blocks),
    html: renderHtml(options.blocks),
    inReplyTo: introduction.messageId,
    references: introduction.messageId ? [introduction.messageId] : [],
    introductionId: introduction.id,
  };
}
