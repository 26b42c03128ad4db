import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { DiscoveryValidator, loadCalendarDiscovery, type LoopbackGoogle } from '../../functions/local/loopback-google/index.ts';
import { at, connect, failure, startGoogle } from './support.ts';

const validator = new DiscoveryValidator(loadCalendarDiscovery());
const conforms = (schema: string, body: unknown) => validator.validateBody(schema, body, { mode: 'response', rootName: 'response' }).map((issue) => issue.message);

/** Google's error envelope, which the discovery document does not describe. */
const googleError = z.strictObject({
  error: z.strictObject({
    code: z.number().int(),
    message: z.string().min(1),
    status: z.string().regex(/^[A-Z_]+$/),
    errors: z
      .array(
        z.strictObject({
          domain: z.string(),
          reason: z.string(),
          message: z.string(),
          location: z.string().optional(),
          locationType: z.string().optional(),
        }),
      )
      .min(1),
  }),
});

let google: LoopbackGoogle;
beforeAll(async () => {
  // The server's own self-check is off here, so this test is what catches a response that breaks the schema.
  google = await startGoogle({ validateResponses: false });
});
afterAll(() => google.stop());

describe('every response follows the discovery schema of its method', () => {
  it('events, lists and free/busy answers carry only declared fields of the declared types', async () => {
    const { api } = connect(google, 'ana@example.com', ['https://www.googleapis.com/auth/calendar']);
    const inserted = await api.events.insert({
      calendarId: 'primary',
      sendUpdates: 'all',
      conferenceDataVersion: 1,
      requestBody: {
        id: 'schema000001',
        summary: 'Schema check',
        start: { dateTime: '2031-03-04T09:00:00', timeZone: 'Europe/Paris' },
        end: { dateTime: '2031-03-04T09:30:00', timeZone: 'Europe/Paris' },
        attendees: [{ email: 'lena@example.com' }, { email: 'ana@example.com' }],
        conferenceData: { createRequest: { requestId: 'schema-req' } },
        reminders: { useDefault: false, overrides: [{ method: 'email', minutes: 30 }] },
        extendedProperties: { private: { introductionId: 'i-1' } },
      },
    });
    await api.events.insert({ calendarId: 'primary', requestBody: { id: 'schema000002', start: { date: '2031-03-05' }, end: { date: '2031-03-06' } } });
    const responses: [string, unknown][] = [
      ['Event', inserted.data],
      ['Event', (await api.events.get({ calendarId: 'primary', eventId: 'schema000001', maxAttendees: 1 })).data],
      ['Event', (await api.events.patch({ calendarId: 'primary', eventId: 'schema000001', requestBody: { location: 'Paris', description: null } })).data],
      ['Event', (await api.events.update({ calendarId: 'primary', eventId: 'schema000002', requestBody: { summary: 'All day', start: { date: '2031-03-05' }, end: { date: '2031-03-06' } } })).data],
      ['Events', (await api.events.list({ calendarId: 'primary', maxResults: 1 })).data],
      ['Events', (await api.events.list({ calendarId: 'primary', showDeleted: true, singleEvents: true, orderBy: 'startTime' })).data],
      ['FreeBusyResponse', (await api.freebusy.query({ requestBody: { timeMin: at('00:00'), timeMax: at('00:00', '2031-03-07'), items: [{ id: 'primary' }, { id: 'nobody@example.com' }] } })).data],
      ['Calendar', (await api.calendars.get({ calendarId: 'primary' })).data],
    ];
    await api.events.delete({ calendarId: 'primary', eventId: 'schema000002' });
    responses.push(['Event', (await api.events.get({ calendarId: 'primary', eventId: 'schema000002' })).data]);

    for (const [schema, body] of responses) expect(conforms(schema, body), `${schema} ${JSON.stringify(body)}`).toEqual([]);
    // And they are not trivially empty.
    expect(Object.keys(inserted.data).length).toBeGreaterThan(15);
  });

  it('errors use the Google error envelope', async () => {
    const { api } = connect(google, 'victor@example.com');
    const errors = [
      await failure(api.events.get({ calendarId: 'primary', eventId: 'nothing00001' })),
      await failure(api.events.insert({ calendarId: 'primary', requestBody: { id: 'x' } })),
      await failure(api.events.list({ calendarId: 'primary', maxResults: 0 })),
      await failure(api.freebusy.query({ requestBody: { timeMin: at('00:00'), timeMax: '2031-12-31T00:00:00Z', items: [] } })),
    ];
    for (const error of errors) expect(googleError.safeParse(error.data).error).toBeUndefined();
  });

  it('a response with a field the schema does not declare is caught, by this test and by the server itself', async () => {
    const event = { kind: 'calendar#event', id: 'abcde', summary: 'x', start: { dateTime: at('09:00') }, end: { dateTime: at('10:00') } };
    expect(conforms('Event', event)).toEqual([]);
    expect(conforms('Event', { ...event, meetLink: 'https://meet.google.com/x' })).toEqual(['Invalid JSON payload received. Unknown name "meetLink" at \'response\': Cannot find field.']);
    expect(conforms('Event', { ...event, sequence: '1.5' })).toHaveLength(1);

    // The server checks its own answers: against a document without `hangoutLink`, a Meet event cannot be returned.
    const doc = structuredClone(loadCalendarDiscovery());
    const { hangoutLink: _dropped, ...eventProperties } = doc.schemas.Event?.properties ?? {};
    const strict = await startGoogle({ discovery: { ...doc, schemas: { ...doc.schemas, Event: { ...doc.schemas.Event, properties: eventProperties } } } });
    try {
      const { api } = connect(strict, 'ana@example.com');
      const requestBody = { id: 'selfcheck001', start: { dateTime: at('09:00') }, end: { dateTime: at('10:00') }, conferenceData: { createRequest: { requestId: 'r' } } };
      const broken = await failure(api.events.insert({ calendarId: 'primary', conferenceDataVersion: 1, requestBody }));
      expect(broken).toMatchObject({ status: 500, reason: 'backendError' });
    } finally {
      await strict.stop();
    }
  });
});
