import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CAPTURE_ADDRESS, composeMessage, type CaptureHarness } from '../support/capture-harness.ts';
import { createWebHarness, fetchPage, postForm, tokenOf, type FetchedPage, type WebHarness } from '../support/web-harness.ts';
import { createCaptureWorld, type CaptureWorld } from './support/capture-world.ts';
import { reportFigures } from './support/figures.ts';
import { bookedIntroduction, proposedTimeLink, weeklyPair } from './support/web-world.ts';
import { DeadLetterQueue, invokeAsync, invokeStream } from './support/lambda.ts';
import { watchLogSinks } from './support/log-capture.ts';

/**
 * Fifty at once: deliveries in one thread (the introduction, copies of it, replies, some ahead of
 * it) captured concurrently, and the same one-click link clicked fifty times at once. The final
 * state is the one a single, orderly run gives.
 */

const AT_ONCE = 50;
const PARTNER = 'sam.lee@partners.example';

describe('concurrency', () => {
  describe('captures', () => {
    let world: CaptureWorld;
    let h: CaptureHarness;
    beforeAll(async () => {
      world = await createCaptureWorld([[PARTNER, 'Sam Lee']]);
      h = world.h;
    });
    afterAll(() => world.stop());

    it(`${AT_ONCE} concurrent captures in the same thread: one introduction, one event per reply, one email, one outcome per delivery`, { timeout: 120_000 }, async () => {
      const introId = '<concurrent-intro@partners.example>';
      const intro = await composeMessage({
        from: `Sam Lee <${PARTNER}>`,
        to: ['Jane Doe <jane.doe@acme.example>', 'Bob Roe <bob.roe@roe.example>'],
        cc: [CAPTURE_ADDRESS],
        subject: 'Intro: Jane <> Bob',
        text: 'Jane, meet Bob. You two should talk.\n\nSam',
        messageId: introId,
      });
      const introCopies = 5;
      const replies = AT_ONCE - introCopies;
      const replyMessages = await Promise.all(
        Array.from({ length: replies }, (_, index) =>
          composeMessage({
            from: index % 2 === 0 ? 'Bob Roe <bob.roe@roe.example>' : 'Jane Doe <jane.doe@acme.example>',
            to: [PARTNER],
            cc: [index % 2 === 0 ? 'jane.doe@acme.example' : 'bob.roe@roe.example', CAPTURE_ADDRESS],
            subject: 'Re: Intro: Jane <> Bob',
            text: `Thanks! Happy to talk (${index}).`,
            messageId: `<concurrent-reply-${index}@roe.example>`,
            inReplyTo: introId,
            references: [introId],
          }),
        ),
      );
      const deliveries = [...Array.from({ length: introCopies }, () => intro), ...replyMessages].map((raw, index) => ({ id: h.sesId(`concurrent-${index}`), raw }));
      const handler = world.handler();
      const deadLetters = new DeadLetterQueue();
      let attempts = 0;
      // All at once; Lambda retries what fails (a transaction conflict, an email another attempt is sending).
      await Promise.all(
        deliveries.map(async ({ id, raw }) => {
          const result = await invokeAsync(handler, h.delivery(id, raw), { deadLetters, beforeRetry: () => h.clock.advance(60_000) });
          attempts += result.attempts;
        }),
      );

      // The jobs side sends the confirmation from the stream: the capture's record, handled five times
      // at once (redeliveries racing); the attempts that find another one sending fail, and Lambda
      // retries them once the racers are done (a minute later).
      const records = await h.mail.records();
      const racing = await Promise.all(Array.from({ length: 5 }, () => world.mailHandler()({ Records: records })));
      attempts += racing.length;
      const failed = records.filter((record) => racing.some((result) => result.batchItemFailures.some((failure) => failure.itemIdentifier === record.dynamodb.SequenceNumber)));
      let streamDeadLettered = 0;
      for (const _ of racing.filter((result) => result.batchItemFailures.length > 0)) {
        h.clock.advance(60_000);
        const result = await invokeStream(world.mailHandler(), failed, { beforeRetry: () => h.clock.advance(60_000) });
        attempts += result.invocations;
        streamDeadLettered += result.deadLettered.length;
      }

      const problems: string[] = [];
      if (records.length !== 1) problems.push(`${records.length} stream records for the jobs side`);
      if (streamDeadLettered > 0) problems.push(`${streamDeadLettered} stream records dead-lettered`);
      const introductions = (await h.introductions()).filter((introduction) => introduction.messageId === introId);
      if (introductions.length !== 1) problems.push(`${introductions.length} introductions`);
      const id = introductions[0]?.id ?? '';
      const history = await h.events(id);
      const replyEvents = history.filter((event) => event.type === 'reply_received').length;
      if (replyEvents !== replies || history.length !== replies + 1) problems.push(`history: ${history.length} events, ${replyEvents} replies of ${replies}`);
      const emails = (await h.sentEmails()).filter((email) => email.parsed.inReplyTo === introId);
      if (emails.length !== 1) problems.push(`${emails.length} confirmations`);
      const outcomes = new Map<string, number>();
      for (const { id: sesId } of deliveries) {
        const outcome = (await h.store.findInbound(sesId))?.outcome ?? 'none';
        outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
      }
      if (outcomes.get('captured') !== 1 || outcomes.get('duplicate') !== introCopies - 1 || outcomes.get('attached') !== replies) problems.push(`outcomes ${JSON.stringify([...outcomes])}`);
      if (deadLetters.messages.length > 0) problems.push(`${deadLetters.messages.length} dead-lettered`);
      reportFigures('concurrency: captures in one thread', {
        'cases tried (deliveries at once)': deliveries.length,
        'Lambda invocations': attempts,
        ...Object.fromEntries([...outcomes].sort().map(([outcome, count]) => [`outcome ${outcome}`, count])),
        failures: problems.length,
      });
      expect(problems).toEqual([]);
    });
  });

  describe('clicks', () => {
    let h: WebHarness;
    beforeAll(async () => {
      h = await createWebHarness();
      watchLogSinks(h.logs, h.booking.logs);
    });
    afterAll(() => h.stop());
    const introduction = async (mode: 'auto' | 'propose') => {
      const { owner, introduction: created } = await bookedIntroduction(h, mode === 'auto' ? 'Victor Ng' : 'Lena Park', mode);
      return { owner, id: created.id };
    };

    const statuses = (pages: readonly FetchedPage[]) => pages.map((page) => page.status).reduce<Record<number, number>>((count, status) => ({ ...count, [status]: (count[status] ?? 0) + 1 }), {});

    it(`${AT_ONCE} concurrent clicks on the same link (answer, unsubscribe, proposed time): applied once, consistent final state`, { timeout: 120_000 }, async () => {
      const problems: string[] = [];
      const figures: Record<string, string> = {};

      const answered = await introduction('auto');
      const answer = h.links.answer(answered.id, 'outcome', 'promising', answered.owner.email);
      const answerPages = await Promise.all(Array.from({ length: AT_ONCE }, () => postForm(h.url('/answer'), { token: tokenOf(answer) })));
      const changes = (await h.booking.history(answered.id)).filter((event) => event.type === 'status_changed');
      if (statuses(answerPages)[200] !== 1 || changes.length !== 1 || (await h.booking.introduction(answered.id)).status !== 'met') problems.push(`answer: ${JSON.stringify(statuses(answerPages))}, ${changes.length} status changes`);
      figures.answer = JSON.stringify(statuses(answerPages));

      const { id: pair, partner: ana } = await weeklyPair(h);
      const unsubscribe = h.links.unsubscribe('pair', pair, ana);
      const unsubscribePages = await Promise.all(
        Array.from({ length: AT_ONCE }, () => fetchPage(unsubscribe, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'List-Unsubscribe=One-Click' })),
      );
      const unsubscribed = (await h.pairs.getPair(pair))?.unsubscribed ?? [];
      if (unsubscribePages.some((page) => page.status !== 200) || JSON.stringify(unsubscribed) !== JSON.stringify([ana])) problems.push(`unsubscribe: ${JSON.stringify(statuses(unsubscribePages))}, ${JSON.stringify(unsubscribed)}`);
      figures.unsubscribe = JSON.stringify(statuses(unsubscribePages));

      const proposed = await introduction('propose');
      const slot = proposedTimeLink(h, proposed.id) ?? '';
      const slotPages = await Promise.all(Array.from({ length: AT_ONCE }, () => postForm(h.url('/slot'), { token: tokenOf(slot) })));
      const events = h.booking.calendarEvents(proposed.owner.email, { showDeleted: true });
      const booked = (await h.booking.history(proposed.id)).filter((event) => event.type === 'meeting_booked').length;
      if (events.length !== 1 || booked !== 1 || (await h.booking.introduction(proposed.id)).status !== 'meeting_booked') problems.push(`slot: ${JSON.stringify(statuses(slotPages))}, ${events.length} events, ${booked} meeting_booked`);
      if (slotPages.some((page) => page.status >= 500)) problems.push(`slot: ${JSON.stringify(statuses(slotPages))}`);
      figures.slot = JSON.stringify(statuses(slotPages));

      reportFigures('concurrency: one link clicked 50 times at once', { 'cases tried': 3 * AT_ONCE, ...figures, failures: problems.length });
      expect(problems).toEqual([]);
    });
  });
});
