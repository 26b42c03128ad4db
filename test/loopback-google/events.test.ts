import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { meetCode, type LoopbackGoogle } from '../../functions/local/loopback-google/index.ts';
import { at, connect, failure, startGoogle } from './support.ts';

let google: LoopbackGoogle;
beforeAll(async () => {
  google = await startGoogle();
});
afterAll(() => google.stop());

/** What the booking flow sends: a deterministic id, attendees, a Meet request. */
function booking(id: string, start: string, end: string) {
  return {
    id,
    summary: 'Lena Park <> Victor Hugo',
    description: 'Introduced by Ana.',
    start: { dateTime: start, timeZone: 'Europe/Paris' },
    end: { dateTime: end, timeZone: 'Europe/Paris' },
    attendees: [{ email: 'lena@example.com', displayName: 'Lena Park' }, { email: 'victor@partner.example' }],
    conferenceData: { createRequest: { requestId: `req-${id}`, conferenceSolutionKey: { type: 'hangoutsMeet' } } },
    extendedProperties: { private: { introductionId: id } },
  };
}

describe('events with the real @googleapis/calendar client', () => {
  it('inserts an event with a client-chosen id and a Meet link, filling in what Google fills in', async () => {
    const { api } = connect(google, 'victor@partner.example');
    const id = 'intro0000000000000000001';
    const { data: event, status } = await api.events.insert({
      calendarId: 'primary',
      sendUpdates: 'all',
      conferenceDataVersion: 1,
      requestBody: booking(id, at('09:00'), at('09:30')),
    });
    expect(status).toBe(200);
    const code = meetCode(`req-${id}`);
    expect(code).toMatch(/^[a-z]{3}-[a-z]{4}-[a-z]{3}$/);
    expect(event).toMatchObject({
      kind: 'calendar#event',
      id,
      status: 'confirmed',
      iCalUID: `${id}@google.com`,
      sequence: 0,
      organizer: { email: 'victor@partner.example', self: true },
      creator: { email: 'victor@partner.example', self: true },
      hangoutLink: `https://meet.google.com/${code}`,
      conferenceData: {
        conferenceId: code,
        entryPoints: [{ entryPointType: 'video', uri: `https://meet.google.com/${code}` }],
        createRequest: { requestId: `req-${id}`, status: { statusCode: 'success' } },
      },
      attendees: [
        { email: 'lena@example.com', displayName: 'Lena Park', responseStatus: 'needsAction' },
        { email: 'victor@partner.example', organizer: true, self: true, responseStatus: 'accepted' },
      ],
    });
    expect(event.etag).toMatch(/^"\d+"$/);
    expect(event.htmlLink).toMatch(/^https:\/\/www\.google\.com\/calendar\/event\?eid=/);
    expect(event.created).toBe(event.updated);
    expect(Date.parse(event.created ?? '')).toBeGreaterThan(Date.now() - 60_000);

    // Google sent one invitation, to Lena; the organizer gets none.
    expect(google.control.invitations({ eventId: id }).map((invite) => invite.to)).toEqual(['lena@example.com']);

    // The same id again (a retry) is a conflict, and sends nothing more.
    const duplicate = await failure(api.events.insert({ calendarId: 'primary', sendUpdates: 'all', conferenceDataVersion: 1, requestBody: booking(id, at('09:00'), at('09:30')) }));
    expect(duplicate).toMatchObject({ status: 409, reason: 'duplicate', message: 'The requested identifier already exists.' });
    expect(google.control.notifications({ eventId: id })).toHaveLength(1);
  });

  it('ignores conference data without conferenceDataVersion=1, and rejects unknown conference types', async () => {
    const { api } = connect(google, 'ana@example.com');
    const { data } = await api.events.insert({ calendarId: 'primary', requestBody: booking('noconference01', at('10:00'), at('10:30')) });
    expect(data.conferenceData).toBeUndefined();
    expect(data.hangoutLink).toBeUndefined();
    const body = booking('badconference1', at('11:00'), at('11:30'));
    body.conferenceData.createRequest.conferenceSolutionKey.type = 'eventHangout';
    expect(await failure(api.events.insert({ calendarId: 'primary', conferenceDataVersion: 1, requestBody: body }))).toMatchObject({ status: 400, reason: 'invalid', message: 'Invalid conference type value.' });
  });

  it('rejects ids Google rejects, bodies the discovery schema rejects, and impossible times', async () => {
    const { api } = connect(google, 'ana@example.com');
    const insert = (requestBody: object) => failure(api.events.insert({ calendarId: 'primary', requestBody }));
    const valid = booking('validid00001', at('12:00'), at('12:30'));
    for (const id of ['abc', 'has-dash-0001', 'UPPERCASE001', 'wxyz00000001', 'a'.repeat(1025)]) {
      expect(await insert({ ...valid, id }), id).toMatchObject({ status: 400, reason: 'invalid', message: 'Invalid resource id value.' });
    }
    const unknown = await insert({ ...valid, id: 'badfield00001', colour: 'red' });
    expect(unknown).toMatchObject({ status: 400, reason: 'invalid', message: 'Invalid JSON payload received. Unknown name "colour" at \'resource\': Cannot find field.' });
    expect(unknown.data).toMatchObject({ error: { code: 400, status: 'INVALID_ARGUMENT', errors: [{ domain: 'global', reason: 'invalid' }] } });
    const nested = await insert({ ...valid, id: 'badfield00002', start: { ...valid.start, tz: 'UTC' } });
    expect(nested.message).toBe('Invalid JSON payload received. Unknown name "tz" at \'resource.start\': Cannot find field.');
    expect(await insert({ ...valid, id: 'badtype00001', summary: 42 })).toMatchObject({ status: 400, reason: 'invalid', message: "Invalid value at 'resource.summary' (TYPE_STRING), 42" });
    expect(await insert({ ...valid, id: 'badtype00002', attendees: { email: 'x@example.com' } })).toMatchObject({ status: 400, reason: 'invalid' });
    expect(await insert({ ...valid, id: 'badtype00003', guestsCanModify: 'yes' })).toMatchObject({ status: 400, message: "Invalid value at 'resource.guestsCanModify' (TYPE_BOOL), \"yes\"" });
    expect(await insert({ ...valid, id: 'badtype00004', start: { dateTime: 'tomorrow at nine' }, end: valid.end })).toMatchObject({ status: 400, reason: 'invalid' });
    expect(await insert({ ...valid, id: 'badtype00005', extendedProperties: { private: { n: 1 } } })).toMatchObject({ status: 400, reason: 'invalid' });
    expect(await insert({ summary: 'no times', id: 'missingtimes1' })).toMatchObject({ status: 400, reason: 'required' });
    expect(await insert({ ...valid, id: 'nooffset0001', start: { dateTime: '2031-03-04T12:00:00' }, end: { dateTime: '2031-03-04T12:30:00' } })).toMatchObject({
      status: 400,
      reason: 'required',
      message: 'Missing time zone definition for start time.',
    });
    expect(await insert({ ...valid, id: 'reversed00001', start: { dateTime: at('13:00') }, end: { dateTime: at('12:00') } })).toMatchObject({ status: 400, reason: 'timeRangeEmpty' });
    // Read-only fields are accepted and ignored, as Google does.
    const { data } = await api.events.insert({ calendarId: 'primary', requestBody: { ...valid, id: 'serverfields1', created: '2001-01-01T00:00:00Z', organizer: { email: 'mallory@example.com' } } });
    expect(data.organizer?.email).toBe('ana@example.com');
    expect(data.created).not.toBe('2001-01-01T00:00:00Z');
  });

  it('checks query parameters against the discovery document', async () => {
    const { api } = connect(google, 'ana@example.com');
    const sendUpdates = await failure(api.events.insert({ calendarId: 'primary', sendUpdates: 'everyone', requestBody: booking('badparam00001', at('14:00'), at('14:30')) }));
    expect(sendUpdates).toMatchObject({ status: 400, reason: 'invalidParameter', message: "Invalid string value: 'everyone'. Allowed values: [all, externalOnly, none]" });
    const version = await failure(api.events.insert({ calendarId: 'primary', conferenceDataVersion: 2, requestBody: booking('badparam00002', at('14:00'), at('14:30')) }));
    expect(version).toMatchObject({ status: 400, reason: 'invalidParameter' });
    const unknown = await failure(api.events.list({ calendarId: 'primary', colour: 'red' } as never));
    expect(unknown).toMatchObject({ status: 400, reason: 'invalidParameter' });
    expect(unknown.message).toContain('Unknown name "colour"');
    const timeMin = await failure(api.events.list({ calendarId: 'primary', timeMin: '2031-03-04T10:00:00' }));
    expect(timeMin).toMatchObject({ status: 400, reason: 'invalidParameter' });
  });

  it('gets, patches, updates and deletes like Google (404, cancelled, 410)', async () => {
    const { api } = connect(google, 'sam@example.com');
    const id = 'lifecircle01';
    await api.events.insert({ calendarId: 'primary', sendUpdates: 'all', conferenceDataVersion: 1, requestBody: booking(id, at('15:00'), at('15:30')) });

    expect(await failure(api.events.get({ calendarId: 'primary', eventId: 'nosuchevent01' }))).toMatchObject({ status: 404, reason: 'notFound' });
    expect(await failure(api.events.get({ calendarId: 'someone-else@example.com', eventId: id }))).toMatchObject({ status: 404, reason: 'notFound' });

    const patched = await api.events.patch({ calendarId: 'primary', eventId: id, sendUpdates: 'all', requestBody: { start: { dateTime: at('16:00') }, end: { dateTime: at('16:30') } } });
    expect(patched.data).toMatchObject({ sequence: 1, summary: 'Lena Park <> Victor Hugo', start: { dateTime: at('16:00'), timeZone: 'Europe/Paris' } });
    expect(patched.data.conferenceData?.conferenceId).toBe(meetCode(`req-${id}`));
    expect(Date.parse(patched.data.updated ?? '')).toBeGreaterThan(Date.parse(patched.data.created ?? ''));

    const descriptionOnly = await api.events.patch({ calendarId: 'primary', eventId: id, requestBody: { description: 'Moved by request.' } });
    expect(descriptionOnly.data.sequence).toBe(1);

    const current = (await api.events.get({ calendarId: 'primary', eventId: id })).data;
    const updated = await api.events.update({ calendarId: 'primary', eventId: id, requestBody: { ...current, summary: 'Renamed', location: 'Paris' } });
    expect(updated.data).toMatchObject({ summary: 'Renamed', location: 'Paris', sequence: 1, id, created: current.created });
    expect(updated.data.attendees?.find((attendee) => attendee.email === 'lena@example.com')?.responseStatus).toBe('needsAction');
    expect(await failure(api.events.update({ calendarId: 'primary', eventId: id, requestBody: { summary: 'no times' } }))).toMatchObject({ status: 400, reason: 'required' });

    const removed = await api.events.delete({ calendarId: 'primary', eventId: id, sendUpdates: 'all' });
    expect(removed.status).toBe(204);
    expect((await api.events.get({ calendarId: 'primary', eventId: id })).data).toMatchObject({ status: 'cancelled', sequence: 2 });
    expect(await failure(api.events.delete({ calendarId: 'primary', eventId: id }))).toMatchObject({ status: 410, reason: 'deleted' });
    expect(await failure(api.events.delete({ calendarId: 'primary', eventId: 'nosuchevent01' }))).toMatchObject({ status: 404, reason: 'notFound' });
    // A deleted event's id stays taken.
    expect(await failure(api.events.insert({ calendarId: 'primary', requestBody: booking(id, at('15:00'), at('15:30')) }))).toMatchObject({ status: 409, reason: 'duplicate' });

    expect(google.control.notifications({ eventId: id, to: 'lena@example.com' }).map((mail) => mail.kind)).toEqual(['invitation', 'update', 'cancellation']);
  });

  it('lists with time bounds, order, filters, deleted events, pagination and sync tokens', async () => {
    const { api } = connect(google, 'tom@example.com');
    const ids = ['list00000005', 'list00000003', 'list00000001', 'list00000004', 'list00000002'];
    for (const id of ids) {
      const hour = String(8 + Number(id.at(-1))).padStart(2, '0');
      await api.events.insert({ calendarId: 'primary', requestBody: { ...booking(id, at(`${hour}:00`), at(`${hour}:45`)), conferenceData: undefined } });
    }
    const pages: string[][] = [];
    let pageToken: string | undefined;
    let syncToken: string | undefined;
    do {
      const { data } = await api.events.list({ calendarId: 'primary', singleEvents: true, orderBy: 'startTime', maxResults: 2, ...(pageToken ? { pageToken } : {}) });
      pages.push((data.items ?? []).map((event) => event.id ?? ''));
      pageToken = data.nextPageToken ?? undefined;
      syncToken = data.nextSyncToken ?? undefined;
    } while (pageToken);
    expect(pages).toEqual([
      ['list00000001', 'list00000002'],
      ['list00000003', 'list00000004'],
      ['list00000005'],
    ]);
    expect(syncToken).toBeTruthy();

    const window = await api.events.list({ calendarId: 'primary', timeMin: at('09:30'), timeMax: at('11:00'), singleEvents: true, orderBy: 'startTime' });
    expect(window.data.items?.map((event) => event.id)).toEqual(['list00000001', 'list00000002']);
    const byProperty = await api.events.list({ calendarId: 'primary', privateExtendedProperty: ['introductionId=list00000004'] });
    expect(byProperty.data.items?.map((event) => event.id)).toEqual(['list00000004']);
    expect(await failure(api.events.list({ calendarId: 'primary', orderBy: 'startTime' }))).toMatchObject({ status: 400, reason: 'badRequest' });
    expect(await failure(api.events.list({ calendarId: 'primary', pageToken: 'garbage' }))).toMatchObject({ status: 400, reason: 'invalid' });

    await api.events.delete({ calendarId: 'primary', eventId: 'list00000003' });
    const visible = await api.events.list({ calendarId: 'primary' });
    expect(visible.data.items?.map((event) => event.id).sort()).toEqual(['list00000001', 'list00000002', 'list00000004', 'list00000005']);
    const withDeleted = await api.events.list({ calendarId: 'primary', showDeleted: true });
    expect(withDeleted.data.items?.find((event) => event.id === 'list00000003')?.status).toBe('cancelled');

    const changes = await api.events.list({ calendarId: 'primary', syncToken: syncToken ?? '' });
    expect(changes.data.items?.map((event) => [event.id, event.status])).toEqual([['list00000003', 'cancelled']]);
    google.control.invalidateSyncTokens();
    expect(await failure(api.events.list({ calendarId: 'primary', syncToken: changes.data.nextSyncToken ?? '' }))).toMatchObject({ status: 410, reason: 'fullSyncRequired' });
  });

  it('sends invitations per sendUpdates: none by default, external attendees only with externalOnly', async () => {
    const { api } = connect(google, 'pam@partner.example');
    await api.events.insert({ calendarId: 'primary', requestBody: booking('quietinsert01', at('08:00'), at('08:30')) });
    expect(google.control.notifications({ eventId: 'quietinsert01' })).toEqual([]);
    await api.events.insert({
      calendarId: 'primary',
      sendUpdates: 'externalOnly',
      requestBody: { ...booking('outsideguests1', at('08:00'), at('08:30')), attendees: [{ email: 'colleague@partner.example' }, { email: 'lena@example.com' }] },
    });
    expect(google.control.invitations({ eventId: 'outsideguests1' }).map((invite) => invite.to)).toEqual(['lena@example.com']);
    // Adding an attendee later invites only the newcomer; the others hear nothing when nothing they see changed.
    await api.events.patch({
      calendarId: 'primary',
      eventId: 'outsideguests1',
      sendUpdates: 'all',
      requestBody: { attendees: [{ email: 'colleague@partner.example' }, { email: 'lena@example.com' }, { email: 'tom@example.com' }] },
    });
    expect(google.control.notifications({ eventId: 'outsideguests1' }).map((mail) => `${mail.kind}:${mail.to}`)).toEqual(['invitation:lena@example.com', 'invitation:tom@example.com']);
  });
});
