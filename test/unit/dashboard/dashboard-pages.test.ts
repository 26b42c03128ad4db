import { describe, expect, it } from 'vitest';
import type { OutboxEntry } from '../../../functions/adapters/dynamodb/outbox-store.ts';
import type { StoredSchedule } from '../../../functions/adapters/scheduler/table-scheduler.ts';
import type { Introduction } from '../../../functions/domain/introductions/introduction.ts';
import type { Group, Pair } from '../../../functions/domain/pairs/pair.ts';
import { pairNumbers } from '../../../functions/domain/pairs/pair-numbers.ts';
import { activityCharts } from '../../../functions/local/dashboard/activity-chart.ts';
import { calendarPage } from '../../../functions/local/dashboard/calendar-page.ts';
import { renderDashboardPage, type DashboardPage } from '../../../functions/local/dashboard/dashboard-layout.ts';
import { TimeFormat } from '../../../functions/local/dashboard/format.ts';
import { inboundPage } from '../../../functions/local/dashboard/inbound-page.ts';
import { filterIntroductions, introductionDetailPage, introductionsPage, readIntroductionFilter } from '../../../functions/local/dashboard/introductions-page.ts';
import { emailHtmlDocument, emailPage, linkify, outboxPage } from '../../../functions/local/dashboard/outbox-page.ts';
import { partnersPage } from '../../../functions/local/dashboard/partners-page.ts';
import { describeCron, runAt, schedulesPage } from '../../../functions/local/dashboard/schedules-page.ts';
import { introduction, meeting, partner } from '../followup/views.ts';

/**
 * The dashboard's pages from data a hostile sender controls: display names, subjects, the words of
 * a message, a group's name. Everything must come out as text, never as markup.
 */
const NOW = new Date('2026-11-25T12:00:00.000Z');
const format = new TimeFormat('Europe/London');
const SCRIPT = '<script>alert("owned")</script>';
const IMG = '"><img src=x onerror=alert(1)>';

const eve = partner('eve@evil.example', `Eve ${SCRIPT}`, 'Europe/London');
const ana = partner('ana@costa.example', 'Ana Costa', 'Europe/London');
const hostile = introduction({
  id: 'intro-1',
  introducer: { email: eve.email, name: eve.name },
  parties: [{ email: ana.email, name: ana.name }, { email: 'mallory@x.example', name: `Mallory ${IMG}` }],
  owner: ana.email,
  subject: `Meet ${IMG}`,
  context: `Ana, meet Mallory ${SCRIPT}`,
  status: 'meeting_booked',
  createdAt: '2026-11-24T10:00:00.000Z',
  meeting: meeting('2026-11-26T10:00:00.000Z', 30, { calendarOwner: ana.email, timeZone: 'Europe/London', attendees: ['mallory@x.example'], videoLink: `https://meet.example/${IMG}` }),
});
const pair: Pair = {
  id: 'pair-1',
  partners: [ana.email, eve.email],
  timeZone: 'Europe/London',
  weekly: { day: 'mon', time: '08:00' },
  oneToOne: 'monthly',
  goalPerMonth: 2,
  createdAt: '2026-10-01T08:00:00.000Z',
  unsubscribed: [],
  nextOneToOne: { start: '2026-11-27T09:00:00.000Z', end: '2026-11-27T09:45:00.000Z', eventId: 'o2o', period: '2026-11' },
};
const group: Group = { id: 'group-1', name: `Breakfast ${SCRIPT}`, members: [ana.email, eve.email], timeZone: 'Europe/London', createdAt: '2026-10-01T08:00:00.000Z', unsubscribed: [] };
const sentParts = {
  text: `Hi ${SCRIPT}\nAnswer: http://127.0.0.1:3000/answer?token=a.b&x="y"\n`,
  html: '<!doctype html><html><head><meta charset="utf-8"></head><body><p>Hi</p></body></html>',
};
const email: OutboxEntry = {
  outboxKey: 'update#intro-1#meeting_booked',
  purpose: 'progress_update',
  to: [eve.email],
  subject: `Update ${IMG}`,
  status: 'sent',
  claimedAt: '2026-11-24T11:00:00.000Z',
  sentAt: '2026-11-24T11:00:00.000Z',
  messageId: '<m1@refer.local>',
  introductionId: 'intro-1',
  bodySha256: 'digest',
};
const schedule: StoredSchedule = {
  name: 'weekly-pair-1',
  kind: 'recurring',
  job: { kind: 'weekly', pairId: 'pair-1' },
  nextRunAt: new Date('2026-11-30T08:00:00.000Z'),
  cron: '0 8 ? * MON *',
  timeZone: 'Europe/London',
  revision: 1,
  attempts: 1,
  lastError: `Error: ${SCRIPT}`,
  armed: true,
};

async function everyPage(): Promise<DashboardPage[]> {
  const store = { listGivenBy: (who: string) => Promise.resolve([hostile].filter((item) => item.introducer.email === who)) };
  const pairs = [{ pair, partners: [ana, eve] as const, numbers: await pairNumbers(pair, ana, eve, NOW, store) }];
  return [
    introductionsPage({ introductions: [hostile], partners: [ana, eve], filter: readIntroductionFilter(new URLSearchParams('status=meeting_booked&partner=eve@evil.example')), format, now: NOW }),
    introductionDetailPage(
      {
        introduction: hostile,
        history: [{ introductionId: 'intro-1', at: '2026-11-24T10:00:00.000Z', type: 'captured', by: eve.email, how: 'email', detail: `captured from "${IMG}"`, sourceId: 'd1' }],
        messages: [{ role: 'reply', receivedAt: '2026-11-24T10:05:00.000Z', messageId: '<r@x>', subject: `Re: ${IMG}`, sender: 'mallory@x.example', rawLocation: '/tmp/r.eml', words: `Thanks ${SCRIPT}` }],
        emails: [email],
      },
      format,
      NOW,
    ),
    partnersPage({ partners: [ana, eve], pairs, groups: [group], introductions: [hostile], format, now: NOW }),
    calendarPage({ introductions: [hostile], pairs, partners: [ana, eve], format, now: NOW }),
    outboxPage([email], format, NOW),
    emailPage({ entry: email, body: sentParts }, format),
    emailPage({ entry: { ...email, sentAt: null, status: 'sending' }, body: null }, format),
    schedulesPage({ schedules: [schedule], introductions: [hostile], pairs: [pair], groups: [group], partners: [ana, eve], result: { name: `weekly ${SCRIPT}`, outcomes: [IMG], failed: false }, format, now: NOW }),
    inboundPage(
      [
        {
          deliveryId: 'd9',
          receivedAt: '2026-11-24T10:10:00.000Z',
          outcome: 'rejected',
          kind: 'intro',
          reasons: [`${SCRIPT} is not a registered partner`],
          introductionId: null,
          messageId: null,
          sender: `x${IMG}@evil.example`,
          subject: SCRIPT,
          rawLocation: '/tmp/d9.eml',
          verdicts: null,
        },
      ],
      'not_captured',
      format,
      NOW,
    ),
  ];
}

describe('dashboard pages', () => {
  it('show what hostile senders wrote as text, on every page', async () => {
    for (const page of await everyPage()) {
      const markup = renderDashboardPage(page);
      expect(markup, page.title).not.toContain('<script>alert');
      expect(markup, page.title).not.toContain('<img src=x');
      expect(markup, page.title).not.toContain('onerror=alert(1)>');
      // The one script is the dashboard's own file.
      expect(markup.match(/<script\b/g)?.length, page.title).toBe(1);
      expect(markup, page.title).toContain('<script src="/assets/dashboard.js" defer></script>');
    }
    const detail = renderDashboardPage((await everyPage())[1] as DashboardPage);
    expect(detail).toContain('Thanks &lt;script&gt;alert(&quot;owned&quot;)&lt;/script&gt;');
    expect(detail).toContain('Meet &quot;&gt;&lt;img src=x onerror=alert(1)&gt;');
  });

  it('name every page in the navigation and mark the current one', async () => {
    const pages = await everyPage();
    const markup = renderDashboardPage(pages[2] as DashboardPage);
    expect(markup).toContain('<a href="/partners" aria-current="page">Partners &amp; pairs</a>');
    expect(markup.match(/aria-current="page"/g)).toHaveLength(1);
    expect(markup).toContain('<a class="skip" href="#main">Skip to content</a>');
    expect(markup).toContain('<html lang="en">');
  });
});

describe('introductions filter', () => {
  const made = (id: string, createdAt: string, status: Introduction['status'] = 'introduced') => introduction({ id, createdAt, status });
  const list = [made('a', '2026-11-23T23:30:00.000Z'), made('b', '2026-11-24T00:30:00.000Z', 'won'), made('c', '2026-11-25T10:00:00.000Z')];

  it('reads days in the dashboard’s time zone (23:30Z on the 23rd is the 24th in Paris)', () => {
    const filter = readIntroductionFilter(new URLSearchParams('from=2026-11-24&to=2026-11-24'));
    expect(filterIntroductions(list, filter, 'Europe/Paris').map((item) => item.id)).toEqual(['a', 'b']);
    expect(filterIntroductions(list, filter, 'UTC').map((item) => item.id)).toEqual(['b']);
  });

  it('filters by status and by a partner on either side, and ignores values it does not know', () => {
    expect(filterIntroductions(list, readIntroductionFilter(new URLSearchParams('status=won')), 'UTC').map((item) => item.id)).toEqual(['b']);
    expect(filterIntroductions(list, readIntroductionFilter(new URLSearchParams('partner=BOB@ROE.EXAMPLE')), 'UTC')).toHaveLength(3);
    expect(filterIntroductions(list, readIntroductionFilter(new URLSearchParams('partner=nobody@x.example')), 'UTC')).toHaveLength(0);
    expect(readIntroductionFilter(new URLSearchParams('status=<b>&from=yesterday'))).toEqual({ status: null, partner: null, from: null, to: null });
  });
});

describe('outbox rendering', () => {
  it('links the web addresses of the plain text and escapes the rest', () => {
    expect(linkify('Go: http://127.0.0.1:3000/answer?token=a.b&x="y". Or javascript:alert(1) <b>').value).toBe(
      'Go: <a href="http://127.0.0.1:3000/answer?token=a.b&amp;x=" target="_blank" rel="noreferrer">http://127.0.0.1:3000/answer?token=a.b&amp;x=</a>&quot;y&quot;. Or javascript:alert(1) &lt;b&gt;',
    );
  });

  it('opens the links of the HTML part in a new tab, as a mail client does', () => {
    expect(emailHtmlDocument(sentParts.html)).toBe('<!doctype html><html><head><base target="_blank"><meta charset="utf-8"></head><body><p>Hi</p></body></html>');
    expect(emailHtmlDocument('<p>Hi</p>')).toBe('<base target="_blank"><p>Hi</p>');
  });
});

describe('schedules', () => {
  it('say when recurring schedules fire in words', () => {
    expect(describeCron('0 8 ? * MON *')).toBe('every Monday at 08:00');
    expect(describeCron('cron(30 9 ? * FRI *)')).toBe('every Friday at 09:30');
    expect(describeCron('0 8 1 * ? *')).toBe('on the 1st of each month at 08:00');
    expect(describeCron('0 9 1 1,4,7,10 ? *')).toBe('on the 1st of Jan, Apr, Jul, Oct at 09:00');
    expect(describeCron('0 9 22 * ? *')).toBe('on the 22nd of each month at 09:00');
    expect(describeCron('0/5 * * * ? *')).toBe('0/5 * * * ? *');
  });

  it('run a one-time follow-up early as of its own time, anything else as of now', () => {
    const later = new Date('2026-11-27T09:00:00.000Z');
    expect(runAt({ kind: 'once', nextRunAt: later }, NOW)).toEqual(later);
    expect(runAt({ kind: 'once', nextRunAt: new Date('2026-11-20T09:00:00.000Z') }, NOW)).toEqual(NOW);
    expect(runAt({ kind: 'recurring', nextRunAt: later }, NOW)).toEqual(NOW);
  });
});

describe('activity chart', () => {
  it('draws a bar for each week with introductions, all partners on one scale, with the numbers in a table', () => {
    const weeks = (given: number[], received: number[]) => given.map((count, index) => ({ start: `2026-11-${String(2 + index * 7).padStart(2, '0')}T12:00:00.000Z`, given: count, received: received[index] ?? 0 }));
    const markup = activityCharts(
      [
        { label: `Eve ${SCRIPT}`, key: '0', weeks: weeks([0, 2, 0, 4], [1, 0, 0, 0]) },
        { label: 'Ana Costa', key: '1', weeks: weeks([0, 0, 0, 1], [0, 0, 0, 0]) },
      ],
      format,
    ).value;
    expect(markup.match(/<rect /g)).toHaveLength(4);
    // The tallest bar (4) reaches the top of the plot; 2 reaches half way.
    expect(markup).toContain('height="110" fill="#1a5fb4"><title>Week of Mon 23 Nov: 4 given</title>');
    expect(markup).toContain('height="55" fill="#1a5fb4"><title>Week of Mon 9 Nov: 2 given</title>');
    expect(markup).toContain('<desc id="chart-0-desc">6 introductions given and 1 received in the 4 weeks from Mon 2 Nov.</desc>');
    expect(markup).not.toContain('<script>');
    expect(markup).toContain('<th scope="row">Eve &lt;script&gt;alert(&quot;owned&quot;)&lt;/script&gt; given</th>');
  });
});
