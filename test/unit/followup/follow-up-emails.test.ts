import { describe, expect, it } from 'vitest';
import {
  closeQuestionEmail,
  notAFitEmail,
  nudgeEmail,
  outcomeQuestionEmail,
  progressUpdateEmail,
} from '../../../functions/domain/followup/follow-up-emails.ts';
import type { CloseQuestionView, NotAFitView, NudgeView, OutcomeQuestionView, ProgressUpdateView } from '../../../functions/domain/followup/follow-up-views.ts';
import type { OutboundEmail } from '../../../functions/domain/outbound/outbound-email.ts';
import { escapeHtml } from '../../../functions/domain/shared/html.ts';
import { answers, bob, composedAndParsed, expectButtonsOnce, introduction, jane, meeting, occurrences, sam } from './views.ts';

// Thu 26 Nov, 10:00–10:30 in New York (15:00Z).
const booked = meeting('2026-11-26T15:00:00.000Z', 30);

function nudgeView(overrides: Partial<NudgeView> = {}): NudgeView {
  return { outboxKey: 'nudge#intro-7f3a#1', introduction: introduction(), prospect: bob, introducer: sam, partner: jane, answers: answers('nudge', 'intro-7f3a', jane.email), ...overrides };
}

function outcomeView(overrides: Partial<OutcomeQuestionView> = {}): OutcomeQuestionView {
  return {
    outboxKey: 'outcome_question#intro-7f3a#evt0001',
    introduction: introduction({ status: 'meeting_booked', meeting: booked }),
    prospect: bob,
    introducer: sam,
    partner: jane,
    meeting: booked,
    answers: answers('outcome', 'intro-7f3a', jane.email),
    ...overrides,
  };
}

function closeView(overrides: Partial<CloseQuestionView> = {}): CloseQuestionView {
  return {
    outboxKey: 'close_question#intro-7f3a#1',
    introduction: introduction({ status: 'met', meeting: booked }),
    prospect: bob,
    introducer: sam,
    partner: jane,
    answers: answers('close', 'intro-7f3a', jane.email),
    askNumber: 1,
    ...overrides,
  };
}

function updateView(changes: ProgressUpdateView['changes'], overrides: Partial<ProgressUpdateView> = {}): ProgressUpdateView {
  return {
    outboxKey: `progress_update#intro-7f3a#${changes[0]?.at ?? ''}`,
    introduction: introduction({ status: changes.at(-1)?.status ?? 'introduced', meeting: booked }),
    prospect: bob,
    introducer: sam,
    partner: jane,
    changes,
    meeting: booked,
    amount: null,
    ...overrides,
  };
}

const NOTE = [
  'Hi Bob,',
  '',
  "Thanks again for your time on Thursday. I'm not the right fit for what you need right now, but I'd be glad to help others like you:",
  'if someone you know is planning a succession or a sale in the next year or two, I would be grateful for an introduction.',
  '',
  'Best, Jane',
].join('\n');

function notAFitView(overrides: Partial<NotAFitView> = {}): NotAFitView {
  return {
    outboxKey: 'not_a_fit#intro-7f3a',
    introduction: introduction({ status: 'not_a_fit', meeting: booked }),
    prospect: bob,
    introducer: sam,
    partner: jane,
    referralAskNote: NOTE,
    mailtoUrl: `mailto:${bob.email}?subject=${encodeURIComponent('Thank you, and a small ask')}&body=${encodeURIComponent(NOTE)}`,
    ...overrides,
  };
}

function expectThreaded(email: OutboundEmail): void {
  expect(email.inReplyTo).toBe('<CAF7x9@mail.lee-partners.example>');
  expect(email.references).toEqual(['<CAF7x9@mail.lee-partners.example>']);
  expect(email.introductionId).toBe('intro-7f3a');
  expect(email.unsubscribeUrl ?? null).toBeNull();
}

describe('the nudge', () => {
  it('asks the partner once, by name, with the four answers right under the question', () => {
    const view = nudgeView();
    const email = nudgeEmail(view);
    expect(email.subject).toBe('Any luck with Bob Roe?');
    expect(email.to).toEqual([{ email: jane.email, name: 'Jane Doe' }]);
    expect(email.replyTo).toBeUndefined();
    expect(email.purpose).toBe('nudge');
    expect(email.outboxKey).toBe('nudge#intro-7f3a#1');
    expect(email.text).toContain('Hi Jane,');
    // The introduction was at 09:30 on Tue 24 Nov in Jane's New York.
    expect(email.text).toContain('Any luck with Bob Roe? Sam Lee introduced you on Tue 24 Nov, and no meeting is booked yet.');
    expectButtonsOnce(email, view.answers);
    expect(view.answers.map((answer) => answer.label)).toEqual(['We booked a meeting ourselves', "I couldn't reach them", 'Not a fit', 'Remind me in 3 days']);
    // The answers come right under the question, in order.
    const question = email.text.indexOf('Any luck with Bob Roe?');
    const positions = view.answers.map((answer) => email.text.indexOf(answer.url));
    expect(positions.every((position, index) => position > question && (index === 0 || position > (positions[index - 1] ?? 0)))).toBe(true);
    expect(email.text).toContain('bob@roe.example');
    expectThreaded(email);
  });

  it('speaks of the introduction day in the partner’s own time zone', () => {
    // 02:30 on Wed 25 Nov in London is still Tue 24 Nov in New York.
    const email = nudgeEmail(nudgeView({ introduction: introduction({ createdAt: '2026-11-25T02:30:00.000Z' }) }));
    expect(email.text).toContain('introduced you on Tue 24 Nov');
    const london = nudgeEmail(nudgeView({ partner: { ...jane, timeZone: 'Europe/London' }, introduction: introduction({ createdAt: '2026-11-25T02:30:00.000Z' }) }));
    expect(london.text).toContain('introduced you on Wed 25 Nov');
  });
});

describe('how did it go?', () => {
  it('asks about the meeting by first name, at the meeting’s local time, with the four answers', () => {
    const view = outcomeView();
    const email = outcomeQuestionEmail(view);
    expect(email.subject).toBe('How did it go with Bob Roe?');
    expect(email.purpose).toBe('outcome_question');
    expect(email.text).toContain('How did it go with Bob? You met on Thu 26 Nov at 10:00 (Sam Lee’s introduction).'.replace('’', "'"));
    expect(view.answers.map((answer) => answer.label)).toEqual(['Promising', 'Not a fit', 'No-show', 'We rescheduled']);
    expectButtonsOnce(email, view.answers);
    expect(email.text).toContain('Sam gets a short update from you');
    expectThreaded(email);
  });

  it('names no time when the partner booked the meeting themselves (no meeting recorded)', () => {
    const email = outcomeQuestionEmail(outcomeView({ meeting: null }));
    expect(email.text).toContain("How did it go with Bob? (Sam Lee's introduction).");
    expect(email.text).not.toContain('You met');
  });
});

describe('did it close?', () => {
  it('offers won, lost and still open, and says the won page takes an amount', () => {
    const view = closeView();
    const email = closeQuestionEmail(view);
    expect(email.subject).toBe('Did it close with Bob Roe?');
    expect(email.purpose).toBe('close_question');
    expect(email.text).toContain("Did it close with Bob Roe? You met on Thu 26 Nov (Sam Lee's introduction).");
    expect(view.answers.map((answer) => answer.label)).toEqual(['Won', 'Lost', 'Still open']);
    expectButtonsOnce(email, view.answers);
    expect(email.text).toContain('“Won” lets you add the amount');
    expect(email.text).not.toContain('still open,');
    expectThreaded(email);
  });

  it('on a later ask, says it was still open last time, without guilt', () => {
    const email = closeQuestionEmail(closeView({ askNumber: 2, outboxKey: 'close_question#intro-7f3a#2' }));
    expect(email.text).toContain('Did it close with Bob Roe? You met on Thu 26 Nov, and last time it was still open');
    expect(email.outboxKey).toBe('close_question#intro-7f3a#2');
    expect(email.text).not.toMatch(/still haven't|reminder|overdue|please/i);
  });
});

describe('the progress update to the introducer', () => {
  it('on won, thanks the introducer for closed business, with the amount, from the partner’s side', () => {
    const view = updateView([{ status: 'won', at: '2026-12-08T16:00:00.000Z' }], { amount: 12500 });
    const email = progressUpdateEmail(view);
    expect(email.subject).toBe('Thank you: Bob Roe became a client');
    expect(email.purpose).toBe('progress_update');
    expect(email.to).toEqual([sam]);
    expect(email.replyTo).toEqual([{ email: jane.email, name: 'Jane Doe' }]);
    expect(email.text).toContain('Hi Sam,');
    expect(email.text).toContain('Bob is now a client: 12,500 of closed business.');
    expect(email.text).toContain('Thank you, Sam. This business came from your introduction');
    expect(email.text).toContain("Sent automatically on Jane's behalf. Reply and it goes to Jane directly.");
    expect(email.html).toContain('<strong>Thank you, Sam.');
    expectThreaded(email);
  });

  it('on won without an amount, thanks without a number', () => {
    const email = progressUpdateEmail(updateView([{ status: 'won', at: '2026-12-08T16:00:00.000Z' }]));
    expect(email.text).toContain('Bob is now a client.');
    expect(email.text).not.toMatch(/\d[\d,]* of closed business/);
  });

  it('combines several changes into one email, in the order they happened', () => {
    const view = updateView(
      [
        { status: 'won', at: '2026-11-26T16:40:00.000Z' },
        { status: 'met', at: '2026-11-26T16:05:00.000Z' },
      ],
      { amount: 4000.5 },
    );
    const email = progressUpdateEmail(view);
    expect(email.subject).toBe('Thank you: Bob Roe became a client');
    const met = email.text.indexOf('We met on Thu 26 Nov, and it looks promising.');
    const won = email.text.indexOf('Bob is now a client: 4,000.50 of closed business.');
    expect(met).toBeGreaterThan(0);
    expect(won).toBeGreaterThan(met);
    expect(occurrences(email.text, 'Hi Sam,')).toBe(1);
  });

  it.each([
    [[{ status: 'meeting_booked' as const, at: '2026-11-24T15:00:00.000Z' }], 'Update from Jane: meeting booked with Bob Roe', 'Bob and I have a meeting booked for Thu 26 Nov.', 'Thank you for the introduction.'],
    [[{ status: 'met' as const, at: '2026-11-26T17:00:00.000Z' }], 'Update from Jane: met Bob Roe', 'We met on Thu 26 Nov, and it looks promising.', 'Thank you for the introduction.'],
    [[{ status: 'not_a_fit' as const, at: '2026-11-26T17:00:00.000Z' }], 'Update from Jane: Bob Roe, not a fit this time', 'It turns out not to be a fit for what I do this time.', 'Thank you for thinking of me all the same.'],
  ])('makes the news obvious in the subject: %#', (changes, subject, sentence, thanks) => {
    const email = progressUpdateEmail(updateView(changes));
    expect(email.subject).toBe(subject);
    expect(email.text).toContain('An update on Bob Roe, whom you introduced me to on Tue 24 Nov.');
    expect(email.text).toContain(sentence);
    expect(email.text).toContain(thanks);
  });

  it('names a partner without a display name by what their address says', () => {
    const email = progressUpdateEmail(updateView([{ status: 'met', at: '2026-11-26T17:00:00.000Z' }], { partner: { ...jane, email: 'jane.doe@doe-advisory.example', name: null } }));
    expect(email.subject).toBe('Update from Jane: met Bob Roe');
    expect(email.replyTo).toEqual([{ email: 'jane.doe@doe-advisory.example', name: null }]);
  });
});

describe('not a fit', () => {
  it('prompts the partner to ask for referrals, with the note as it is and a mailto button', () => {
    const view = notAFitView();
    const email = notAFitEmail(view);
    expect(email.subject).toBe("Bob Roe wasn't a fit: ask for referrals anyway?");
    expect(email.purpose).toBe('not_a_fit');
    expect(email.to).toEqual([{ email: jane.email, name: 'Jane Doe' }]);
    // The note, line for line (quoted in text, kept with its line breaks in HTML).
    for (const line of NOTE.split('\n').filter(Boolean)) expect(email.text).toContain(`> ${line}`);
    expect(email.html).toContain(`white-space:pre-wrap">${escapeHtml(NOTE)}</blockquote>`);
    expectButtonsOnce(email, [{ label: 'Send the note to Bob', url: view.mailtoUrl }]);
    expect(email.text).toContain('Bob stays on record as an advocate');
    expectThreaded(email);
  });
});

describe('hostile values', () => {
  const evil = { email: 'x@evil.example', name: '<script>alert(1)</script> "Bob" & <img src=x onerror=alert(2)>' };
  const emails = () => [
    nudgeEmail(nudgeView({ prospect: evil, introducer: evil })),
    outcomeQuestionEmail(outcomeView({ prospect: evil, introducer: evil })),
    closeQuestionEmail(closeView({ prospect: evil, introducer: evil })),
    progressUpdateEmail(updateView([{ status: 'met', at: '2026-11-26T17:00:00.000Z' }], { prospect: evil, introducer: evil, partner: { ...jane, name: '<b onclick=x>Jane</b>' } })),
    notAFitEmail(notAFitView({ prospect: evil, referralAskNote: '</blockquote><script>alert(3)</script>' })),
  ];

  it('never reach the HTML unescaped', () => {
    for (const email of emails()) {
      expect(email.html, email.purpose).not.toMatch(/<script|<img|<b |<\/blockquote><script/);
      expect(email.html, email.purpose).toContain('&lt;script&gt;');
    }
  });

  it('never break a subject across lines', async () => {
    const crlf = { email: 'bob@roe.example', name: 'Bob\r\nBcc: victim@evil.example' };
    for (const email of [nudgeEmail(nudgeView({ prospect: crlf })), progressUpdateEmail(updateView([{ status: 'won', at: '2026-12-08T16:00:00.000Z' }], { prospect: crlf }))]) {
      expect(email.subject).not.toMatch(/[\r\n]/);
      const { parsed, raw } = await composedAndParsed(email);
      expect(parsed.bcc).toBeUndefined();
      expect(raw.toString()).not.toMatch(/^Bcc:/im);
    }
  });
});

describe('as MIME', () => {
  it.each([
    ['nudge', () => nudgeEmail(nudgeView())],
    ['outcome question', () => outcomeQuestionEmail(outcomeView())],
    ['close question', () => closeQuestionEmail(closeView())],
    ['progress update', () => progressUpdateEmail(updateView([{ status: 'won', at: '2026-12-08T16:00:00.000Z' }], { amount: 12500 }))],
    ['not a fit', () => notAFitEmail(notAFitView())],
  ])('the %s composes, parses back threaded, and is recognized as the system’s own', async (_name, build) => {
    const email = build();
    const { parsed, header } = await composedAndParsed(email);
    expect(parsed.inReplyTo).toBe('<CAF7x9@mail.lee-partners.example>');
    expect(parsed.references).toBe('<CAF7x9@mail.lee-partners.example>');
    // Follow-ups are not recurring: no unsubscribe headers.
    expect(header('List-Unsubscribe')).toBeUndefined();
    expect(header('List-Unsubscribe-Post')).toBeUndefined();
    expect(parsed.html).toBe(email.html);
  });

  it('the progress update goes out from the system, with replies to the partner', async () => {
    const { parsed } = await composedAndParsed(progressUpdateEmail(updateView([{ status: 'met', at: '2026-11-26T17:00:00.000Z' }])));
    expect(parsed.from?.value[0]?.address).toBe('follow-up@refer.local');
    expect(parsed.replyTo?.value).toEqual([{ address: jane.email, name: 'Jane Doe' }]);
  });
});
