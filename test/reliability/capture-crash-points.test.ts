import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CaptureDependencies } from '../../functions/domain/capture/capture-delivery.ts';
import { CAPTURE_ADDRESS, composeMessage, type CaptureHarness } from '../support/capture-harness.ts';
import { CrashPlan, crashPoints } from './support/crash-plan.ts';
import { createCaptureWorld, type CaptureWorld } from './support/capture-world.ts';
import { reportFigures } from './support/figures.ts';
import { invokeAsync, invokeStream } from './support/lambda.ts';
import { SOAK } from './support/scale.ts';

/**
 * A crash at every step of the capture and of the jobs side's sending of its email, then Lambda's
 * retry. Each scenario runs once to count its steps (every call to a port: the store, S3, the
 * parser, the partner directory; then, from the table stream, the reads, the outbox and SES);
 * then, for each step, a fresh delivery crashes just before it and another just after it took
 * effect, and Lambda retries the SES event (about a minute later, then two) or the stream record
 * (as the reliability suite models stream retries, as late). In the end the
 * result is the one a run without a crash gives: one introduction, one history event per cause,
 * one recorded outcome, one email. The only exception is the window the outbox cannot close: SES
 * accepted the email and the attempt died before recording it, so the retry sends it again with
 * the same Message-ID (mail clients show one).
 */

const PARTNER = 'sam.lee@partners.example';
const LAMBDA_RETRY_MS = 60_000;

let world: CaptureWorld;
let h: CaptureHarness;
beforeAll(async () => {
  world = await createCaptureWorld([[PARTNER, 'Sam Lee']]);
  h = world.h;
});
afterAll(() => world.stop());

function wired(plan: CrashPlan | null) {
  const dependencies = world.dependencies;
  const crashing: CaptureDependencies = plan
    ? {
        ...dependencies,
        store: plan.wrap('store', dependencies.store),
        pairNotes: plan.wrap('pairNotes', dependencies.pairNotes),
        partners: plan.wrap('partners', dependencies.partners),
        rawMail: plan.wrap('rawMail', dependencies.rawMail),
        reader: plan.wrap('reader', dependencies.reader),
      }
    : dependencies;
  return world.handler(crashing);
}

/** The jobs side's handling of the capture's stream records, its ports wrapped by the same plan. */
function mailWired(plan: CrashPlan | null) {
  const dependencies = world.mailDependencies;
  return world.mailHandler(
    plan
      ? {
          ...dependencies,
          introductions: plan.wrap('introductions', dependencies.introductions),
          partners: plan.wrap('recipients', dependencies.partners),
          outbox: plan.wrap('outbox', dependencies.outbox),
          sender: plan.wrap('sender', dependencies.sender),
        }
      : dependencies,
  );
}

const intro = (tag: string) =>
  composeMessage({
    from: `Sam Lee <${PARTNER}>`,
    to: [`Jane Doe <jane.${tag}@acme.example>`, `Bob Roe <bob.${tag}@roe.example>`],
    cc: [CAPTURE_ADDRESS],
    subject: `Intro: Jane <> Bob ${tag}`,
    text: 'Jane, meet Bob. You two should talk.\n\nSam',
    messageId: `<intro.${tag}@partners.example>`,
  });
const reply = (tag: string) =>
  composeMessage({
    from: `Bob Roe <bob.${tag}@roe.example>`,
    to: [PARTNER],
    cc: [`jane.${tag}@acme.example`, CAPTURE_ADDRESS],
    subject: `Re: Intro: Jane <> Bob ${tag}`,
    text: 'Thanks Sam. Thursday works for me.\n\nBob',
    messageId: `<reply.${tag}@roe.example>`,
    inReplyTo: `<intro.${tag}@partners.example>`,
    references: [`<intro.${tag}@partners.example>`],
  });
const unclear = (tag: string) =>
  composeMessage({
    from: `Sam Lee <${PARTNER}>`,
    to: [`Jane Doe <jane.${tag}@acme.example>`],
    cc: [CAPTURE_ADDRESS],
    subject: `Meet Bob ${tag}`,
    text: 'Jane, I am connecting you two: Bob Roe will call you this week.\n\nSam',
    messageId: `<unclear.${tag}@partners.example>`,
  });

/** What the delivery under test must leave, once retried; returns what is wrong. */
type Check = (tag: string, plan: CrashPlan) => Promise<string[]>;

interface Scenario {
  readonly name: string;
  /** Deliveries made first, without a crash. */
  readonly before: (tag: string) => Promise<Buffer[]>;
  /** The delivery that crashes. */
  readonly target: (tag: string) => Promise<Buffer>;
  readonly check: Check;
}

async function emailsAbout(messageId: string) {
  return (await h.sentEmails()).filter((email) => email.parsed.inReplyTo === messageId);
}

/** One email, or (only when SES accepted it and the attempt died before the outbox recorded it) the same email twice. */
function emailProblems(emails: { parsed: { messageId?: string } }[], plan: CrashPlan, what: string): string[] {
  const window = (plan.crashed === 'sender.send' && plan.when === 'after') || (plan.crashed === 'outbox.markSent' && plan.when === 'before');
  const allowed = window ? [1, 2] : [1];
  const problems = allowed.includes(emails.length) ? [] : [`${emails.length} ${what} emails`];
  if (new Set(emails.map((email) => email.parsed.messageId)).size > 1) problems.push(`${what} emails with different Message-IDs`);
  return problems;
}

async function introductionFor(messageId: string) {
  return (await h.introductions()).filter((introduction) => introduction.messageId === messageId);
}

const scenarios: Scenario[] = [
  {
    name: 'an introduction captured and confirmed by email',
    before: () => Promise.resolve([]),
    target: intro,
    async check(tag, plan) {
      const found = await introductionFor(`<intro.${tag}@partners.example>`);
      if (found.length !== 1) return [`${found.length} introductions`];
      const id = found[0]?.id ?? '';
      const problems = emailProblems(await emailsAbout(`<intro.${tag}@partners.example>`), plan, 'confirmation');
      const types = (await h.events(id)).map((event) => event.type);
      if (types.join() !== 'captured') problems.push(`history ${types.join()}`);
      const outbox = (await h.outboxEntries()).filter((entry) => entry.outboxKey === `capture_confirmation#${id}`);
      if (outbox.length !== 1 || outbox[0]?.status !== 'sent') problems.push(`outbox ${JSON.stringify(outbox.map((entry) => entry.status))}`);
      return problems;
    },
  },
  {
    name: 'a reply attached to its introduction',
    before: async (tag) => [await intro(tag)],
    target: reply,
    async check(tag) {
      const found = await introductionFor(`<intro.${tag}@partners.example>`);
      if (found.length !== 1) return [`${found.length} introductions`];
      const types = (await h.events(found[0]?.id ?? '')).map((event) => event.type).sort();
      const problems = types.join() === 'captured,reply_received' ? [] : [`history ${types.join()}`];
      if ((await emailsAbout(`<reply.${tag}@roe.example>`)).length > 0) problems.push('an email about the reply');
      return problems;
    },
  },
  {
    name: 'a reply that came first, adopted when its introduction is captured',
    before: async (tag) => [await reply(tag)],
    target: intro,
    async check(tag, plan) {
      const found = await introductionFor(`<intro.${tag}@partners.example>`);
      if (found.length !== 1) return [`${found.length} introductions`];
      const types = (await h.events(found[0]?.id ?? '')).map((event) => event.type).sort();
      const problems = types.join() === 'captured,reply_received' ? [] : [`history ${types.join()}`];
      return [...problems, ...emailProblems(await emailsAbout(`<intro.${tag}@partners.example>`), plan, 'confirmation')];
    },
  },
  {
    name: 'an unclear introduction, recorded as ambiguous and explained by email',
    before: () => Promise.resolve([]),
    target: unclear,
    async check(tag, plan) {
      const problems = emailProblems(await emailsAbout(`<unclear.${tag}@partners.example>`), plan, 'needs-attention');
      const outcome = (await h.inbound()).find((record) => record.messageId === `<unclear.${tag}@partners.example>`)?.outcome;
      if (outcome !== 'ambiguous') problems.push(`outcome ${outcome ?? 'none'}`);
      if ((await introductionFor(`<unclear.${tag}@partners.example>`)).length > 0) problems.push('an introduction was recorded');
      return problems;
    },
  },
];

describe('capture: a crash at every step, then the retry', () => {
  for (const [index, scenario] of scenarios.entries()) {
    it(`${scenario.name}: exactly-once results after a crash before or after each step`, { timeout: 180_000 }, async () => {
      const run = async (tag: string, plan: CrashPlan | null) => {
        for (const [order, raw] of (await scenario.before(tag)).entries()) {
          const [prior] = await wired(null)(h.delivery(h.sesId(`cp-${tag}-prior-${order}`), raw));
          if (!prior) throw new Error('no summary');
        }
        await h.mail.drain();
        const event = h.delivery(h.sesId(`cp-${tag}`), await scenario.target(tag));
        return { event, first: await wired(plan)(event).then(() => null, (error: unknown) => error) };
      };
      /** The stream records the capture wrote, to the jobs side, retried as Lambda retries them. */
      const sendMail = async (plan: CrashPlan | null) => {
        const records = await h.mail.records();
        return { records, ...(await invokeStream(mailWired(plan), records, { beforeRetry: () => h.clock.advance(LAMBDA_RETRY_MS) })) };
      };
      // The dry run: how many steps, and which.
      const dry = new CrashPlan();
      const clean = await run(`s${index}-dry`, dry);
      expect(clean.first).toBeNull();
      expect((await sendMail(dry)).deadLettered).toEqual([]);
      const problems: string[] = [];
      const dryProblems = await scenario.check(`s${index}-dry`, dry);
      if (dryProblems.length > 0) problems.push(`without a crash: ${dryProblems.join('; ')}`);

      let crashes = 0;
      let retries = 0;
      for (const point of crashPoints(dry.calls, SOAK)) {
        const tag = `s${index}-${point.at}-${point.when}`;
        const plan = new CrashPlan(point.at, point.when);
        const { event, first } = await run(tag, plan);
        // Lambda retries the failed event about a minute later (and again), with no crash this time.
        if (first) {
          // The crashed invocation was the first of Lambda's three attempts.
          h.clock.advance(LAMBDA_RETRY_MS);
          const retried = await invokeAsync(wired(null), event, { retryAttempts: 1, beforeRetry: () => h.clock.advance(2 * LAMBDA_RETRY_MS) });
          retries += retried.attempts;
          if (retried.deadLettered) problems.push(`${tag}: dead-lettered after ${plan.crashed ?? '?'}: ${String(retried.errors.at(-1))}`);
        }
        // Then the jobs side, from the stream (a crash not injected yet happens here).
        const crashedInCapture = plan.crashed !== null;
        const mail = await sendMail(plan);
        if (plan.crashed) crashes += 1;
        else problems.push(`${tag}: no crash at step ${point.at}`);
        if (!crashedInCapture && plan.crashed) retries += mail.invocations - 1;
        if (mail.deadLettered.length > 0) problems.push(`${tag}: a stream record dead-lettered after ${plan.crashed ?? '?'}`);
        if (plan.crashed && !first && !(mail.invocations > 1)) problems.push(`${tag}: the crash at ${plan.crashed} did not fail the invocation`);
        // And a late redelivery (of the SES event, of the stream records) changes nothing.
        h.clock.advance(10 * LAMBDA_RETRY_MS);
        await wired(null)(event);
        await mailWired(null)({ Records: mail.records });
        await h.mail.drain();
        for (const problem of await scenario.check(tag, plan)) problems.push(`${tag} (${point.when} ${dry.calls[point.at] ?? '?'}): ${problem}`);
      }
      reportFigures(`capture crash points: ${scenario.name}`, {
        steps: dry.calls.length,
        'cases tried': crashPoints(dry.calls, SOAK).length,
        'crashes injected': crashes,
        'invocations retried': retries,
        failures: problems.length,
      });
      expect(problems).toEqual([]);
    });
  }
});
