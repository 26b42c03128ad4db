import { bookIntroduction } from '../../../functions/domain/booking/book-introduction.ts';
import type { Contact, Introduction } from '../../../functions/domain/introductions/introduction.ts';
import { pairId } from '../../../functions/domain/pairs/pair-setup.ts';
import type { WebHarness } from '../../support/web-harness.ts';

/** What the one-click tests start from, on the web harness: fresh people each time. */
let people = 0;

/**
 * An introduction from a partner (the introducer) to a connected partner and a prospect, booked
 * (auto mode: a meeting; propose mode: three times emailed to the prospect). Every name is `name`.
 */
export async function bookedIntroduction(h: WebHarness, name: string, mode: 'auto' | 'propose' = 'auto'): Promise<{ owner: Contact; introduction: Introduction }> {
  people += 1;
  const owner = { email: `owner.${people}@partner.test`, name };
  const introducer = { email: `intro.${people}@introducer.test`, name };
  const prospect = { email: `prospect.${people}@prospect.test`, name };
  await h.registerPartner({ ...owner, timeZone: 'America/Chicago', booking: { bookingMode: mode } });
  await h.registerPartner({ ...introducer, timeZone: 'Europe/London', connected: false });
  const introduction = await h.booking.createIntroduction({ introducer, parties: [owner, prospect], subject: `Intro ${name}` });
  await bookIntroduction(introduction.id, h.dependencies);
  return { owner, introduction: await h.booking.introduction(introduction.id) };
}

/** The first proposed-time link of the proposal email for this introduction, if one went out. */
export function proposedTimeLink(h: WebHarness, introductionId: string): string | undefined {
  return h.booking.mail.emails({ purpose: 'booking_proposal', introductionId })[0]?.text.match(/http:\/\/127\.0\.0\.1:\d+\/slot\?token=[\w.-]+/)?.[0];
}

/** A pair of two partners with a weekly check-in; returns its id and the first partner (whose unsubscribe link tests use). */
export async function weeklyPair(h: WebHarness): Promise<{ id: string; partner: string }> {
  people += 1;
  const [ana, victor] = [`ana.${people}@partner.test`, `victor.${people}@partner.test`];
  for (const email of [ana, victor]) await h.registerPartner({ email, name: 'Partner', timeZone: 'Europe/London', connected: false });
  const id = pairId(ana, victor);
  await h.pairs.savePair({
    id,
    partners: [ana, victor],
    timeZone: 'Europe/London',
    weekly: { day: 'mon', time: '08:00' },
    oneToOne: 'monthly',
    goalPerMonth: 2,
    createdAt: h.booking.clock.now().toISOString(),
    unsubscribed: [],
    nextOneToOne: null,
  });
  return { id, partner: ana };
}
