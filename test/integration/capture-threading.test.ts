import { SendEmailCommand } from '@aws-sdk/client-sesv2';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CAPTURE_ADDRESS, composeMessage, corpusMessage, createCaptureHarness, type CaptureHarness } from '../support/capture-harness.ts';

const MOTLEY_INTRO = 'introduction/enron__motley-m_inbox_ene_portland_middle_market_6.eml';
const MOTLEY_MESSAGE_ID = '<14576892.1075841341704.JavaMail.evans@thyme>';
const DASOVICH_INTRO = 'introduction/enron__dasovich-j_inbox_659.eml';
const DASOVICH_INTRO_MESSAGE_ID = '<4912686.1075851659106.JavaMail.evans@thyme>';
const DASOVICH_REPLY = 'intro_related/enron__dasovich-j_inbox_662.eml';
const DASOVICH_REPLY_MESSAGE_ID = '<21038936.1075851659183.JavaMail.evans@thyme>';

let h: CaptureHarness;

beforeEach(async () => {
  h = await createCaptureHarness();
});

afterEach(async () => {
  h.close();
  await h.expectLogsFreeOfPersonalData();
});

/** Connie (introduced, not a partner) answers John's introduction with her client's threading headers. */
function connieReplies(inReplyTo: string, subject = 'Re: Thailand'): Promise<Buffer> {
  return composeMessage({
    from: 'Connie Erickson <connie.erickson@enron.com>',
    to: ['matt.motley@enron.com'],
    cc: ['john.malowney@enron.com', CAPTURE_ADDRESS],
    subject,
    text: 'Thanks John.\n\nMatt, congratulations! Phuket is lovely in February. Call me any afternoon this week.\n\nConnie',
    messageId: '<reply-1.connie@enron.com>',
    inReplyTo,
    references: [inReplyTo],
  });
}

describe('capture: replies in the thread of an introduction', () => {
  it('attaches a reply carrying In-Reply-To to its introduction: history event, no email, no new introduction', async () => {
    await h.registerPartner('john.malowney@enron.com', 'John Malowney');
    const handler = h.handler();
    const [captured] = await handler(h.delivery(h.sesId('ses-thread-0001'), corpusMessage(MOTLEY_INTRO)));
    const introductionId = captured?.introductionId ?? '';
    expect(introductionId).not.toBe('');
    await h.mail.drain();
    h.ses.resetHistory();

    h.clock.advance(3 * 3_600_000);
    const [reply] = await handler(h.delivery(h.sesId('ses-thread-0002'), await connieReplies(MOTLEY_MESSAGE_ID)));

    expect(reply).toMatchObject({ outcome: 'attached', introductionId, repeatDelivery: false });
    expect(await h.inboundFor(h.sesId('ses-thread-0002'))).toMatchObject({
      outcome: 'attached',
      kind: 'reply',
      introductionId,
      sender: 'connie.erickson@enron.com',
      messageId: '<reply-1.connie@enron.com>',
      reasons: [`reply in the thread of introduction ${introductionId}`],
    });
    const events = await h.events(introductionId);
    expect(events.map((event) => event.type)).toEqual(['captured', 'reply_received']);
    expect(events[1]).toMatchObject({ by: 'connie.erickson@enron.com', how: 'reply', sourceId: h.sesId('ses-thread-0002'), at: h.clock.now().toISOString() });
    expect(await h.messageIdOwner('<reply-1.connie@enron.com>')).toMatchObject({ introductionId, role: 'reply' });
    expect(await h.introductions()).toHaveLength(1);
    await h.mail.drain();
    expect(h.ses).not.toHaveReceivedCommand(SendEmailCommand);
    expect(await h.outboxEntries()).toHaveLength(1);

    // A second copy of the same reply (another SES message) is a duplicate, not a second event.
    const [copy] = await handler(h.delivery(h.sesId('ses-thread-0003'), await connieReplies(MOTLEY_MESSAGE_ID)));
    expect(copy).toMatchObject({ outcome: 'duplicate', introductionId });
    expect((await h.events(introductionId)).map((event) => event.type)).toEqual(['captured', 'reply_received']);
    await h.mail.drain();
    expect(h.ses).not.toHaveReceivedCommand(SendEmailCommand);
  });

  it('attaches the Enron reply-all 662 to introduction 659 by subject and people (no In-Reply-To in the Enron copies)', async () => {
    await h.registerPartner('hilda.bourgeois-galloway@enron.com', 'Hilda Bourgeois-Galloway');
    const handler = h.handler();
    const [captured] = await handler(h.delivery(h.sesId('ses-enron-0659'), corpusMessage(DASOVICH_INTRO)));
    expect(captured).toMatchObject({ outcome: 'captured' });
    const introductionId = captured?.introductionId ?? '';
    expect(await h.introductions()).toEqual([
      expect.objectContaining({
        id: introductionId,
        messageId: DASOVICH_INTRO_MESSAGE_ID,
        introducer: expect.objectContaining({ email: 'hilda.bourgeois-galloway@enron.com' }) as unknown,
        parties: [expect.objectContaining({ email: 'jeff.dasovich@enron.com' }), expect.objectContaining({ email: 'misha.siegel@enron.com' })],
      }),
    ]);

    h.clock.advance(5 * 3_600_000);
    const [reply] = await handler(h.delivery(h.sesId('ses-enron-0662'), corpusMessage(DASOVICH_REPLY)));

    expect(reply).toMatchObject({ outcome: 'attached', introductionId });
    expect(await h.inboundFor(h.sesId('ses-enron-0662'))).toMatchObject({ outcome: 'attached', kind: 'reply', sender: 'misha.siegel@enron.com', messageId: DASOVICH_REPLY_MESSAGE_ID });
    expect((await h.events(introductionId)).map((event) => [event.type, event.by])).toEqual([
      ['captured', 'hilda.bourgeois-galloway@enron.com'],
      ['reply_received', 'misha.siegel@enron.com'],
    ]);
    expect(await h.introductions()).toHaveLength(1);
    await h.mail.drain();
    expect(h.ses).toHaveReceivedCommandTimes(SendEmailCommand, 1);
  });

  it('does not attach the Enron reply by subject alone when fewer than two of the introduction\u2019s people are on it', async () => {
    // Same subject, but the thread of another introduction: no one from 659 but the sender.
    await h.registerPartner('hilda.bourgeois-galloway@enron.com');
    const handler = h.handler();
    await handler(h.delivery(h.sesId('ses-subject-0001'), corpusMessage(DASOVICH_INTRO)));
    const stranger = await composeMessage({
      from: 'pat.nobody@example.org',
      to: ['lee.other@example.org'],
      cc: [CAPTURE_ADDRESS],
      subject: 'RE: Community Affairs-related Activity',
      text: 'Sounds good, see you Thursday.',
      messageId: '<stranger-1@example.org>',
    });

    const [result] = await handler(h.delivery(h.sesId('ses-subject-0002'), stranger));

    expect(result).toMatchObject({ outcome: 'ignored', introductionId: null });
    expect((await h.inboundFor(h.sesId('ses-subject-0002'))).reasons).toContain('no recorded introduction in this thread');
  });

  it('a reply that arrives before its introduction joins it when the introduction is captured (and a second copy of it is a duplicate)', async () => {
    await h.registerPartner('john.malowney@enron.com', 'John Malowney');
    const handler = h.handler();
    // Connie's reply and a second copy of it (CC and BCC) overtake the introduction.
    const [early] = await handler(h.delivery(h.sesId('ses-early-0001'), await connieReplies(MOTLEY_MESSAGE_ID)));
    const [copy] = await handler(h.delivery(h.sesId('ses-early-0002'), await connieReplies(MOTLEY_MESSAGE_ID)));
    expect(early).toMatchObject({ outcome: 'ignored', introductionId: null });
    expect(copy).toMatchObject({ outcome: 'ignored', introductionId: null });
    expect((await h.inboundFor(h.sesId('ses-early-0001'))).reasons).toEqual(['a reply in a thread that introduces no one new', 'no recorded introduction in this thread', 'kept in case the message it answers arrives later']);

    h.clock.advance(60_000);
    const [captured] = await handler(h.delivery(h.sesId('ses-early-0003'), corpusMessage(MOTLEY_INTRO)));
    const introductionId = captured?.introductionId ?? '';
    expect(captured).toMatchObject({ outcome: 'captured' });

    const joined = [await h.inboundFor(h.sesId('ses-early-0001')), await h.inboundFor(h.sesId('ses-early-0002'))].sort((a, b) => a.outcome.localeCompare(b.outcome));
    expect(joined).toMatchObject([
      { outcome: 'attached', introductionId, reasons: [`reply in the thread of introduction ${introductionId}`, 'it arrived before the message it answers'] },
      { outcome: 'duplicate', introductionId },
    ]);
    expect((await h.events(introductionId)).map((event) => [event.type, event.by])).toEqual([
      ['reply_received', 'connie.erickson@enron.com'],
      ['captured', 'john.malowney@enron.com'],
    ]);
    expect(await h.messageIdOwner('<reply-1.connie@enron.com>')).toMatchObject({ introductionId, role: 'reply' });

    // Redeliveries of anything change nothing more.
    for (const id of ['ses-early-0001', 'ses-early-0002', 'ses-early-0003']) await handler(h.delivery(h.sesId(id), id === 'ses-early-0003' ? corpusMessage(MOTLEY_INTRO) : await connieReplies(MOTLEY_MESSAGE_ID)));
    expect(await h.events(introductionId)).toHaveLength(2);
    await h.mail.drain();
    expect(h.ses).toHaveReceivedCommandTimes(SendEmailCommand, 1);
  });

  it('a reply to a reply, both ahead of the introduction, joins through the reply it answers', async () => {
    await h.registerPartner('john.malowney@enron.com', 'John Malowney');
    const handler = h.handler();
    // Matt answers Connie's reply, naming only her message (no References).
    const mattAnswers = await composeMessage({
      from: 'Matt Motley <matt.motley@enron.com>',
      to: ['connie.erickson@enron.com'],
      cc: ['john.malowney@enron.com', CAPTURE_ADDRESS],
      subject: 'Re: Thailand',
      text: 'Thank you Connie, Thursday afternoon works.\n\nMatt',
      messageId: '<reply-2.matt@enron.com>',
      inReplyTo: '<reply-1.connie@enron.com>',
    });
    await handler(h.delivery(h.sesId('ses-chain-0001'), mattAnswers));
    await handler(h.delivery(h.sesId('ses-chain-0002'), await connieReplies(MOTLEY_MESSAGE_ID)));
    const [captured] = await handler(h.delivery(h.sesId('ses-chain-0003'), corpusMessage(MOTLEY_INTRO)));
    const introductionId = captured?.introductionId ?? '';

    expect(await h.inboundFor(h.sesId('ses-chain-0001'))).toMatchObject({ outcome: 'attached', introductionId });
    expect(await h.inboundFor(h.sesId('ses-chain-0002'))).toMatchObject({ outcome: 'attached', introductionId });
    expect((await h.events(introductionId)).map((event) => event.type).sort()).toEqual(['captured', 'reply_received', 'reply_received']);
  });

  it('ignores a reply to a thread it has no introduction for, with the reason', async () => {
    const [result] = await h.handler()(h.delivery(h.sesId('ses-unknown-0001'), await connieReplies('<never-seen@example.com>', 'Re: Lunch next week')));

    expect(result).toMatchObject({ outcome: 'ignored', introductionId: null });
    const inbound = await h.inboundFor(h.sesId('ses-unknown-0001'));
    expect(inbound).toMatchObject({ outcome: 'ignored', kind: 'reply', introductionId: null });
    expect(inbound.reasons).toContain('no recorded introduction in this thread');
    expect(await h.introductions()).toEqual([]);
    await h.mail.drain();
    expect(h.ses).not.toHaveReceivedCommand(SendEmailCommand);
  });
});
