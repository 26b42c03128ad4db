import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startLoopbackGoogle, type LoopbackGoogle } from '../../functions/local/loopback-google/index.ts';
import { at, calendarClient, connect, failure, newOAuthClient, startGoogle, TEST_CLIENT } from './support.ts';

const directories: string[] = [];
const temporaryDirectory = (): string => {
  const directory = mkdtempSync(join(tmpdir(), 'loopback-google-'));
  directories.push(directory);
  return directory;
};
afterAll(() => directories.forEach((directory) => rmSync(directory, { recursive: true, force: true })));

describe('the HTTP control API under /_loopback', () => {
  let google: LoopbackGoogle;
  beforeAll(async () => {
    google = await startGoogle();
  });
  afterAll(() => google.stop());

  const control = async (method: string, path: string, body?: object) => {
    const response = await fetch(`${google.url}/_loopback${path}`, {
      method,
      ...(method === 'GET' ? {} : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body ?? {}) }),
    });
    return { status: response.status, json: response.status === 204 ? undefined : await response.json() };
  };

  it('acts as the user and the attendees in Google Calendar, and shows what Google emailed', async () => {
    const { api } = connect(google, 'ana@example.com');
    await api.events.insert({
      calendarId: 'primary',
      sendUpdates: 'all',
      requestBody: { id: 'controlled01', summary: 'Lena <> Ana', start: { dateTime: at('09:00') }, end: { dateTime: at('09:30') }, attendees: [{ email: 'lena@example.com' }] },
    });

    expect((await control('POST', '/calendars/ana@example.com/events/controlled01/attendees/lena@example.com', { responseStatus: 'declined', comment: 'Travelling' })).status).toBe(200);
    const declined = (await api.events.get({ calendarId: 'primary', eventId: 'controlled01' })).data;
    expect(declined.attendees?.[0]).toMatchObject({ email: 'lena@example.com', responseStatus: 'declined', comment: 'Travelling' });

    const moved = await control('POST', '/calendars/ana@example.com/events/controlled01/move', { start: at('11:00'), end: at('11:30'), notifyAttendees: true });
    expect(moved.json).toMatchObject({ sequence: 1, start: { dateTime: at('11:00') } });
    const changes = await api.events.list({ calendarId: 'primary', updatedMin: declined.updated ?? '' });
    expect(changes.data.items?.map((event) => event.id)).toEqual(['controlled01']);

    expect((await control('POST', '/calendars/ana@example.com/events/controlled01/cancel', {})).status).toBe(204);
    expect((await api.events.get({ calendarId: 'primary', eventId: 'controlled01' })).data).toMatchObject({ status: 'cancelled', sequence: 2 });

    const mails = (await control('GET', '/notifications?eventId=controlled01')).json as { kind: string; to: string; via: string }[];
    expect(mails.map((mail) => `${mail.kind}:${mail.to}:${mail.via}`)).toEqual([
      'invitation:lena@example.com:api',
      'reply:ana@example.com:control',
      'update:lena@example.com:control',
    ]);
    expect((await control('GET', '/invitations?to=lena@example.com')).json).toHaveLength(1);

    expect((await control('POST', '/calendars/ana@example.com/busy', { start: at('13:00'), end: at('14:00') })).status).toBe(200);
    const busy = await api.freebusy.query({ requestBody: { timeMin: at('12:00'), timeMax: at('15:00'), items: [{ id: 'primary' }] } });
    expect(busy.data.calendars?.primary?.busy).toEqual([{ start: at('13:00'), end: at('14:00') }]);

    const events = (await control('GET', '/calendars/ana@example.com/events?showDeleted=true')).json as { id: string }[];
    expect(events.map((event) => event.id)).toEqual(['controlled01']);
    expect((await control('GET', '/calendars/ana@example.com/events/nothing000001')).status).toBe(404);
  });

  it('grants and revokes access, expires tokens, and answers bad requests clearly', async () => {
    const granted = (await control('POST', '/authorize', { email: 'victor@example.com', clientId: TEST_CLIENT.clientId })).json as { access_token: string; refresh_token: string };
    const auth = newOAuthClient(google);
    auth.setCredentials({ access_token: granted.access_token, refresh_token: granted.refresh_token, expiry_date: Date.now() + 3_600_000 });
    const api = calendarClient(google, auth);
    expect((await api.events.list({ calendarId: 'primary' })).status).toBe(200);

    expect((await control('POST', '/tokens/expire', { email: 'victor@example.com' })).json).toEqual({ expired: 1 });
    expect(await failure(api.events.list({ calendarId: 'primary' }))).toMatchObject({ status: 401, reason: 'authError' });
    expect((await control('POST', '/users/victor@example.com/revoke', {})).json).toEqual({ revoked: 1 });
    expect((await failure(auth.refreshAccessToken())).message).toBe('invalid_grant');

    expect((await control('POST', '/calendars/ana@example.com/events/controlled01/attendees/lena@example.com', { responseStatus: 'maybe' })).status).toBe(400);
    expect((await control('POST', '/nowhere', {})).status).toBe(404);
    // A browser form cannot post JSON, and a page cannot claim to be a loopback host.
    const form = await fetch(`${google.url}/_loopback/reset`, { method: 'POST', body: new URLSearchParams({ a: 'b' }) });
    expect(form.status).toBe(415);
    const { request } = await import('node:http');
    const status = await new Promise<number>((resolve, reject) => {
      const call = request(`${google.url}/_loopback/health`, { headers: { host: 'evil.example:80' } }, (response) => {
        response.resume();
        resolve(response.statusCode ?? 0);
      });
      call.on('error', reject);
      call.end();
    });
    expect(status).toBe(403);
  });

  it('resets to empty', async () => {
    connect(google, 'reset@example.com');
    expect((await control('POST', '/reset', {})).status).toBe(204);
    expect(google.control.grants()).toEqual([]);
    expect(google.control.notifications()).toEqual([]);
    expect(google.control.requests()).toEqual([]);
  });
});

describe('persistence to a JSON file', () => {
  let running: LoopbackGoogle | undefined;
  afterEach(async () => {
    await running?.stop();
    running = undefined;
  });

  it('keeps calendars, grants and tokens across a restart', async () => {
    const file = join(temporaryDirectory(), 'google-calendar.json');
    running = await startLoopbackGoogle({ persistPath: file, clients: [TEST_CLIENT] });
    const { api, auth } = connect(running, 'ana@example.com');
    await api.events.insert({ calendarId: 'primary', sendUpdates: 'all', requestBody: { id: 'persisted001', start: { dateTime: at('09:00') }, end: { dateTime: at('10:00') }, attendees: [{ email: 'lena@example.com' }] } });
    running.control.addBusyBlock('ana@example.com', { start: at('12:00'), end: at('13:00') });
    const credentials = { ...auth.credentials };
    await running.stop();
    expect(JSON.parse(readFileSync(file, 'utf8'))).toMatchObject({ version: 1 });

    running = await startLoopbackGoogle({ persistPath: file, clients: [TEST_CLIENT] });
    const again = newOAuthClient(running);
    // The same access token and refresh token work against the restarted server (its port may differ).
    again.setCredentials(credentials);
    const restarted = calendarClient(running, again);
    expect((await restarted.events.get({ calendarId: 'primary', eventId: 'persisted001' })).data.attendees?.[0]?.email).toBe('lena@example.com');
    const busy = await restarted.freebusy.query({ requestBody: { timeMin: at('08:00'), timeMax: at('14:00'), items: [{ id: 'primary' }] } });
    expect(busy.data.calendars?.primary?.busy).toEqual([
      { start: at('09:00'), end: at('10:00') },
      { start: at('12:00'), end: at('13:00') },
    ]);
    expect((await again.refreshAccessToken()).credentials.access_token).toMatch(/^ya29\./);
    expect(running.control.invitations({ eventId: 'persisted001' })).toHaveLength(1);
    expect(await failure(restarted.events.insert({ calendarId: 'primary', requestBody: { id: 'persisted001', start: { dateTime: at('09:00') }, end: { dateTime: at('10:00') } } }))).toMatchObject({ status: 409 });
  });

  it('refuses to start on a file it cannot read, rather than overwrite it', async () => {
    const file = join(temporaryDirectory(), 'google-calendar.json');
    writeFileSync(file, '{"version": 1, "calendar": ');
    await expect(startLoopbackGoogle({ persistPath: file })).rejects.toThrow(/not valid JSON/);
    expect(readFileSync(file, 'utf8')).toBe('{"version": 1, "calendar": ');
    writeFileSync(file, '{"version": 2}');
    await expect(startLoopbackGoogle({ persistPath: file })).rejects.toThrow(/not a loopback Google state file/);
  });
});
