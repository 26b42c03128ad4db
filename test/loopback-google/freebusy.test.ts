import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FREEBUSY_MAX_RANGE_MS, type LoopbackGoogle } from '../../functions/local/loopback-google/index.ts';
import { at, connect, failure, startGoogle } from './support.ts';

let google: LoopbackGoogle;
beforeAll(async () => {
  google = await startGoogle();
});
afterAll(() => google.stop());

const day = { timeMin: at('00:00'), timeMax: at('00:00', '2031-03-05') };

describe('freeBusy.query with the real client', () => {
  it('reports busy time from opaque, live, accepted events and from injected busy blocks, merged and clipped', async () => {
    const { api } = connect(google, 'ana@example.com');
    const insert = (id: string, start: string, end: string, extra: object = {}) =>
      api.events.insert({ calendarId: 'primary', requestBody: { id, summary: id, start: { dateTime: start }, end: { dateTime: end }, ...extra } });
    await insert('meet00000001', at('09:00'), at('10:00'));
    await insert('meet00000002', at('09:30'), at('10:30')); // overlaps: merged with the first
    await insert('free00000001', at('12:00'), at('13:00'), { transparency: 'transparent' });
    await insert('gone00000001', at('14:00'), at('15:00'));
    await api.events.delete({ calendarId: 'primary', eventId: 'gone00000001' });
    await insert('declined0001', at('16:00'), at('17:00'), { attendees: [{ email: 'ana@example.com', responseStatus: 'declined' }, { email: 'x@example.com' }] });
    await insert('late00000001', at('23:00'), at('01:00', '2031-03-05')); // clipped at timeMax
    await insert('paris0000001', '2031-03-04T19:00:00', '2031-03-04T19:30:00', {
      start: { dateTime: '2031-03-04T19:00:00', timeZone: 'Europe/Paris' },
      end: { dateTime: '2031-03-04T19:30:00', timeZone: 'Europe/Paris' },
    });
    google.control.addBusyBlock('ana@example.com', { start: at('11:00'), end: at('11:30'), label: 'dentist' });

    const { data } = await api.freebusy.query({ requestBody: { ...day, items: [{ id: 'primary' }, { id: 'nobody@example.com' }] } });
    expect(data.kind).toBe('calendar#freeBusy');
    expect(data.timeMin).toBe('2031-03-04T00:00:00.000Z');
    expect(data.calendars?.primary?.busy).toEqual([
      { start: at('09:00'), end: at('10:30') },
      { start: at('11:00'), end: at('11:30') },
      { start: at('18:00'), end: at('18:30') },
      { start: at('23:00'), end: at('00:00', '2031-03-05') },
    ]);
    expect(data.calendars?.['nobody@example.com']).toEqual({ errors: [{ domain: 'global', reason: 'notFound' }], busy: [] });

    // The same answer, written in the requested time zone.
    const inNewYork = await api.freebusy.query({ requestBody: { ...day, timeZone: 'America/New_York', items: [{ id: 'ana@example.com' }] } });
    expect(inNewYork.data.calendars?.['ana@example.com']?.busy?.[0]).toEqual({ start: '2031-03-04T04:00:00-05:00', end: '2031-03-04T05:30:00-05:00' });

    // Declining an event as the owner, or the owner moving it, shows up at once.
    google.control.moveEvent('ana@example.com', 'meet00000002', { start: at('20:00'), end: at('20:15') });
    const after = await api.freebusy.query({ requestBody: { ...day, items: [{ id: 'primary' }] } });
    expect(after.data.calendars?.primary?.busy?.slice(0, 2)).toEqual([
      { start: at('09:00'), end: at('10:00') },
      { start: at('11:00'), end: at('11:30') },
    ]);
  });

  it("enforces Google's 90-day limit and rejects empty ranges", async () => {
    const { api } = connect(google, 'victor@example.com');
    const start = Date.parse(at('00:00'));
    const iso = (ms: number) => new Date(ms).toISOString();
    const ok = await api.freebusy.query({ requestBody: { timeMin: iso(start), timeMax: iso(start + FREEBUSY_MAX_RANGE_MS), items: [{ id: 'primary' }] } });
    expect(ok.status).toBe(200);
    const tooLong = await failure(api.freebusy.query({ requestBody: { timeMin: iso(start), timeMax: iso(start + FREEBUSY_MAX_RANGE_MS + 1000), items: [{ id: 'primary' }] } }));
    expect(tooLong).toMatchObject({ status: 400, reason: 'timeRangeTooLong', domain: 'calendar', message: 'The requested time range is too long.' });
    const empty = await failure(api.freebusy.query({ requestBody: { timeMin: iso(start), timeMax: iso(start), items: [{ id: 'primary' }] } }));
    expect(empty).toMatchObject({ status: 400, reason: 'timeRangeEmpty', message: 'The specified time range is empty.' });
    const noOffset = await failure(api.freebusy.query({ requestBody: { timeMin: '2031-03-04T00:00:00', timeMax: at('10:00'), items: [{ id: 'primary' }] } }));
    expect(noOffset).toMatchObject({ status: 400, reason: 'invalid' });
    const unknownField = await failure(api.freebusy.query({ requestBody: { ...day, items: [{ id: 'primary', busy: true }] } as never }));
    expect(unknownField.message).toBe('Invalid JSON payload received. Unknown name "busy" at \'resource.items[0]\': Cannot find field.');
    const wrongType = await failure(api.freebusy.query({ requestBody: { ...day, calendarExpansionMax: 'ten', items: [] } as never }));
    expect(wrongType).toMatchObject({ status: 400, reason: 'invalid', message: "Invalid value at 'resource.calendarExpansionMax' (TYPE_INT32), \"ten\"" });
  });
});
