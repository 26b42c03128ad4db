import type { Introduction } from '../../../functions/domain/introductions/introduction.ts';
import type { Partner } from '../../../functions/domain/partners/partner.ts';

/** A partner and an introduction she made, as the capture records them. */
export const sam: Partner = { email: 'sam@partners.example', name: 'Sam Lee', timeZone: 'Europe/London', createdAt: '2026-11-01T00:00:00.000Z' };
export const introduction: Introduction = {
  id: 'intro1',
  introducer: { email: 'sam@partners.example', name: null },
  parties: [
    { email: 'jane.doe@acme.example', name: null },
    { email: 'bob@roe.example', name: 'Roe, Bob' },
  ],
  forwardedBy: null,
  owner: 'sam@partners.example',
  subject: 'Jane, meet Bob',
  context: 'Jane, meet Bob.',
  messageId: '<m1@partners.example>',
  repliesTo: null,
  status: 'introduced',
  createdAt: '2026-11-24T09:30:00.000Z',
  deliveryId: 'd1',
  rawLocation: 's3://bucket/inbound/d1',
};
