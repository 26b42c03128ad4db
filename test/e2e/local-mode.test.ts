import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { simpleParser } from 'mailparser';
import { createTransport } from 'nodemailer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isPortInUse } from '../../functions/local/dynamodb-local.ts';
import { CORPUS_DIR } from '../support/corpus.ts';
import { startLocalModeProcess, type LocalModeProcess } from '../support/local-mode-process.ts';

/**
 * Local mode as a user runs it: `refer start` in its own process, a real introduction from the
 * corpus sent over SMTP with nodemailer, and the CLI (no flags) finding what was captured.
 */
const CORPUS = join(CORPUS_DIR, 'eml');
const INTRO = join(CORPUS, 'introduction/enron__motley-m_inbox_ene_portland_middle_market_6.eml');

let localMode: LocalModeProcess;
let dataDirectory: string;
let smtpPort: number;
let webPort: number;
let output = '';
const refer = (...args: string[]) => localMode.refer(...args);

const jsonLines = (text: string) => text.trim().split('\n').filter(Boolean).map((line) => JSON.parse(line) as Record<string, unknown>);

beforeAll(async () => {
  localMode = await startLocalModeProcess({ timeoutMs: 60_000 });
  ({ dataDirectory, smtpPort, webPort } = localMode);
  output = localMode.output();
}, 90_000);

afterAll(() => {
  localMode.cleanUp();
});

describe('local mode', () => {
  it('prints what it started and how to stop it', () => {
    expect(output).toContain(`SMTP on 127.0.0.1:${smtpPort}`);
    expect(output).toContain('intro@refer.local');
    expect(output).toMatch(/DynamoDB Local\s+http:\/\/127\.0\.0\.1:\d+/);
    expect(output).toContain('Stop with Ctrl-C');
    expect(output).toContain(`Web pages        http://127.0.0.1:${webPort}/`);
  });

  it('serves the one-click pages, and refuses a tampered link with a clear page', async () => {
    expect((await fetch(`http://127.0.0.1:${webPort}/`)).status).toBe(200);
    const tampered = await fetch(`http://127.0.0.1:${webPort}/connect?token=abc.def`);
    expect(tampered.status).toBe(400);
    expect(await tampered.text()).toMatch(/This link isn(?:&#39;|')t valid/);
  });

  it('captures a real introduction sent over SMTP and confirms it to the partner', async () => {
    expect(await refer('partner', 'add', 'john.malowney@enron.com', '--name', 'John Malowney', '--tz', 'America/Los_Angeles')).toContain('Added partner');

    const transport = createTransport({ host: '127.0.0.1', port: smtpPort, secure: false, ignoreTLS: true });
    const raw = readFileSync(INTRO);
    // Delivered twice, as a retrying mail server would: still one introduction and one email.
    for (let attempt = 0; attempt < 2; attempt += 1) {
      const info = await transport.sendMail({ envelope: { from: 'john.malowney@enron.com', to: ['intro@refer.local'] }, raw });
      expect(info.accepted).toEqual(['intro@refer.local']);
    }
    await expect(transport.sendMail({ envelope: { from: 'x@example.com', to: ['someone@elsewhere.example'] }, raw })).rejects.toThrow(/550/);
    transport.close();

    const introductions = jsonLines(await refer('intros', 'list', '--json'));
    expect(introductions).toHaveLength(1);
    expect(introductions[0]).toMatchObject({
      introducer: 'john.malowney@enron.com',
      parties: ['connie.erickson@enron.com', 'matt.motley@enron.com'],
      forwardedBy: null,
      status: 'introduced',
      messageId: '<14576892.1075841341704.JavaMail.evans@thyme>',
    });

    // The jobs side sends the confirmation from the table stream, within seconds.
    await expect.poll(async () => jsonLines(await refer('outbox', 'list', '--json')).filter((entry) => entry.sentAt).length, { timeout: 15_000, interval: 500 }).toBe(1);
    const outbox = jsonLines(await refer('outbox', 'list', '--json'));
    expect(outbox).toHaveLength(1);
    expect(outbox[0]).toMatchObject({ to: ['john.malowney@enron.com'], purpose: 'capture_confirmation', subject: 'Captured: Connie Erickson <> Matt Motley, introduced by John Malowney' });
    expect(outbox[0]?.sentAt).toEqual(expect.any(String));

    const files = readdirSync(join(dataDirectory, 'outbox'));
    expect(files).toHaveLength(1);
    const sent = await simpleParser(readFileSync(join(dataDirectory, 'outbox', files[0] ?? '')));
    expect(sent.messageId).toBe(outbox[0]?.messageId);
    expect(sent.text).toContain('you introduced Connie Erickson <connie.erickson@enron.com> and Matt Motley <matt.motley@enron.com>');
    expect(sent.headers.get('auto-submitted')).toBe('auto-generated');

    // The raw message of each delivery is kept.
    expect(readdirSync(join(dataDirectory, 'inbound'))).toHaveLength(2);
    const inbound = jsonLines(await refer('inbound', 'list', '--json'));
    expect(inbound.map((record) => record.outcome)).toEqual(['captured', 'duplicate']);
  });

  it('books the meeting in the calendar of the introduced partner, exactly once', async () => {
    // Rhonda introduces Lisa (To) to Pam (Cc). Lisa is a partner, so the meeting goes in her calendar, Pam invited.
    const transport = createTransport({ host: '127.0.0.1', port: smtpPort, secure: false, ignoreTLS: true });
    const raw = readFileSync(join(CORPUS, 'introduction/enron__gang-l_inbox_10.eml'));
    expect(await refer('partner', 'add', 'rmalley@iconconsultants.com', '--name', 'Rhonda Malley', '--tz', 'America/Los_Angeles')).toContain('Added partner');
    expect(await refer('partner', 'add', 'lisa.gang@enron.com', '--name', 'Lisa Gang', '--tz', 'America/Los_Angeles')).toContain('Added partner');
    await transport.sendMail({ envelope: { from: 'rmalley@iconconsultants.com', to: ['intro@refer.local'] }, raw });
    await transport.sendMail({ envelope: { from: 'rmalley@iconconsultants.com', to: ['intro@refer.local'] }, raw });
    transport.close();

    const deadline = Date.now() + 30_000;
    let booked: Record<string, unknown> | undefined;
    while (!booked && Date.now() < deadline) {
      booked = jsonLines(await refer('intros', 'list', '--json')).find((intro) => intro.subject === 'RE: State Tax' && intro.status === 'meeting_booked');
      if (!booked) await new Promise((resolve) => setTimeout(resolve, 500));
    }
    expect(booked, localMode.output()).toBeDefined();
    const meeting = booked?.meeting as { start: string; end: string; calendarOwner: string; timeZone: string; eventId: string };
    expect(meeting.calendarOwner).toBe('lisa.gang@enron.com');
    expect(meeting.timeZone).toBe('America/Los_Angeles');
    expect(new Date(meeting.end).getTime() - new Date(meeting.start).getTime()).toBe(30 * 60_000);
    expect(meeting.eventId).toMatch(/^[0-9a-v]{5,1024}$/);

    // The loopback Google Calendar holds exactly one event, and sent exactly one invitation, to the prospect.
    const google = /loopback server at (http:\/\/127\.0\.0\.1:\d+)/.exec(localMode.output())?.[1];
    expect(google).toBeDefined();
    const events = (await (await fetch(`${google}/_loopback/calendars/lisa.gang@enron.com/events`)).json()) as { id: string; status: string }[];
    expect(events.filter((event) => event.status !== 'cancelled').map((event) => event.id)).toEqual([meeting.eventId]);
    const invitations = (await (await fetch(`${google}/_loopback/invitations?eventId=${meeting.eventId}`)).json()) as { to: string }[];
    expect(invitations.map((invitation) => invitation.to)).toEqual(['plarue@iconconsultants.com']);
  });

  it('stops cleanly on Ctrl-C and leaves nothing running', async () => {
    const dynamoEndpoint = /DynamoDB Local\s+http:\/\/127\.0\.0\.1:(\d+)/.exec(output)?.[1];
    expect(await localMode.interrupt()).toBe(0);
    expect(localMode.output()).toContain('Stopped; nothing is left running.');
    expect(await isPortInUse(smtpPort)).toBe(false);
    expect(await isPortInUse(webPort)).toBe(false);
    expect(await isPortInUse(Number(dynamoEndpoint))).toBe(false);
    expect(readdirSync(dataDirectory)).not.toContain('local-mode.json');
  });
});
