import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { simpleParser, type ParsedMail } from 'mailparser';
import { createTransport } from 'nodemailer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findFreePort } from '../../functions/local/dynamodb-local.ts';

/**
 * A week of a partner pair in local mode, as a user would run it: `refer start` in its own
 * process, partners and a pair added with the CLI, three introductions sent over SMTP, the jobs
 * run with `refer jobs run --at` (each one twice), answers given in the one-click pages over HTTP
 * (GET shows, POST applies). Every email is read back from the outbox folder, as the recipient
 * would get it. The nudge, the "how did it go?" questions, the introducers' updates and
 * thank-yous, the not-a-fit prompt and the weekly check-in each go out exactly once.
 */
const ROOT = join(import.meta.dirname, '../..');
const REFER = join(ROOT, 'bin/refer.js');
const CAPTURE = 'intro@refer.local';

const ana = { name: 'Ana Ruiz', address: 'ana@ruiz-consulting.example' };
const victor = { name: 'Victor Hale', address: 'victor@hale-insurance.example' };
const carla = { name: 'Carla Diaz', address: 'carla@diaz-legal.example' };
const lena = { name: 'Lena Park', address: 'lena@parkbakery.example' };
const tom = { name: 'Tom Okoye', address: 'tom@okoye-builders.example' };
const omar = { name: 'Omar Said', address: 'omar@said-dental.example' };

let dataDirectory: string;
let smtpPort: number;
let webPort: number;
let localMode: ChildProcess;
let output = '';
let env: NodeJS.ProcessEnv;

async function refer(...args: string[]): Promise<string> {
  const { stdout } = await promisify(execFile)(process.execPath, [REFER, ...args], { env, cwd: ROOT });
  return stdout;
}

async function referJson<T>(...args: string[]): Promise<T[]> {
  return (await refer(...args, '--json'))
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as T);
}

async function until<T>(what: string, probe: () => Promise<T | null | undefined | false>, seconds = 30): Promise<T> {
  const deadline = Date.now() + seconds * 1000;
  for (;;) {
    const found = await probe();
    if (found) return found;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}\n${output.slice(-2000)}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

interface OutboxMail {
  readonly file: string;
  readonly purpose: string;
  readonly to: string;
  readonly subject: string;
  readonly text: string;
  readonly parsed: ParsedMail;
}

/** Every email the system sent, parsed from the outbox folder. */
async function outbox(): Promise<OutboxMail[]> {
  const folder = join(dataDirectory, 'outbox');
  if (!existsSync(folder)) return [];
  const mails: OutboxMail[] = [];
  for (const file of readdirSync(folder).filter((name) => name.endsWith('.eml')).sort()) {
    const parsed = await simpleParser(readFileSync(join(folder, file)));
    const to = parsed.to && !Array.isArray(parsed.to) ? (parsed.to.value[0]?.address ?? '') : '';
    const purpose = parsed.headers.get('x-refer-outbound');
    mails.push({ file, purpose: typeof purpose === 'string' ? purpose : '', to, subject: parsed.subject ?? '', text: parsed.text ?? '', parsed });
  }
  return mails;
}

async function introduce(from: typeof ana, to: readonly (typeof ana)[], text: string, messageId: string): Promise<void> {
  const transport = createTransport({ host: '127.0.0.1', port: smtpPort, secure: false, ignoreTLS: true });
  await transport.sendMail({
    from,
    to: [...to],
    cc: CAPTURE,
    subject: `Introduction: ${to.map((person) => person.name).join(' <> ')}`,
    text,
    messageId,
  });
  transport.close();
}

interface IntroRecord {
  readonly id: string;
  readonly createdAt: string;
  readonly status: string;
  readonly parties: readonly string[];
  readonly meeting: { start: string; end: string } | null;
}

interface ShownIntro {
  readonly introduction: { id: string; status: string; followUp: Record<string, string | null> | null };
  readonly history: readonly { type: string; how: string }[];
}

const show = async (id: string) => (await referJson<ShownIntro>('intros', 'show', id))[0] as ShownIntro;

/** The one-click answer link labelled `label` in an email's plain text. */
function answerLink(mail: OutboxMail, label: string): string {
  const match = new RegExp(`^ {2}${label}: (http://\\S+/answer\\?token=\\S+)$`, 'm').exec(mail.text);
  if (!match?.[1]) throw new Error(`no "${label}" link in "${mail.subject}":\n${mail.text}`);
  return match[1];
}

/** Opens a one-click link as a person does: the GET page changes nothing; its confirm button POSTs. */
async function clickAndConfirm(url: string): Promise<string> {
  const page = await fetch(url);
  expect(page.status).toBe(200);
  const html = await page.text();
  const token = /name="token" value="([^"]+)"/.exec(html)?.[1];
  if (!token) throw new Error(`no confirm form on ${url}:\n${html}`);
  const confirmed = await fetch(new URL('answer', url), { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ token }).toString() });
  expect(confirmed.status).toBe(200);
  return confirmed.text();
}

/** Runs a job twice, as a schedule retried would; the second run must send nothing. */
async function runTwice(kind: string, at: Date, ...target: string[]): Promise<[string, string]> {
  const before = (await outbox()).length;
  const first = await refer('jobs', 'run', kind, ...target, '--at', at.toISOString());
  const sent = (await outbox()).length;
  const second = await refer('jobs', 'run', kind, ...target, '--at', at.toISOString());
  expect((await outbox()).length, `${kind} run again at the same time sent more`).toBe(sent);
  expect(sent).toBeGreaterThanOrEqual(before);
  return [first, second];
}

const latest = (...times: (string | null | undefined)[]) => new Date(Math.max(...times.filter((time): time is string => Boolean(time)).map((time) => Date.parse(time))));

beforeAll(async () => {
  dataDirectory = mkdtempSync(join(tmpdir(), 'refer-week-'));
  smtpPort = await findFreePort();
  webPort = await findFreePort();
  env = {
    ...process.env,
    REFER_DATA_DIR: dataDirectory,
    REFER_SMTP_PORT: String(smtpPort),
    REFER_WEB_PORT: String(webPort),
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  };
  localMode = spawn(process.execPath, [REFER, 'start'], { env, cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  localMode.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  localMode.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  await until(
    'local mode to start',
    async () => {
      if (localMode.exitCode !== null) throw new Error(`local mode exited early:\n${output}`);
      if (!existsSync(join(dataDirectory, 'local-mode.json'))) return false;
      return (await fetch(`http://127.0.0.1:${webPort}/answer?token=x`).catch(() => null)) !== null;
    },
    90,
  );
}, 120_000);

afterAll(async () => {
  if (localMode.exitCode === null) {
    localMode.kill('SIGINT');
    await new Promise((resolve) => setTimeout(resolve, 3000));
    if (localMode.exitCode === null) localMode.kill('SIGKILL');
  }
  rmSync(dataDirectory, { recursive: true, force: true });
});

describe('a week of a partner pair in local mode', () => {
  it('sends the nudge, the questions, the updates and thank-yous and the weekly check-in, each exactly once', { timeout: 240_000 }, async () => {
    // Three partners; Carla books her own meetings (so she is nudged). Ana and Victor are a pair.
    await refer('partner', 'add', ana.address, '--name', ana.name, '--tz', 'Europe/London');
    await refer('partner', 'add', victor.address, '--name', victor.name, '--tz', 'Europe/London');
    await refer('partner', 'add', carla.address, '--name', carla.name, '--tz', 'Europe/London');
    await refer('partner', 'set', carla.address, '--booking-mode', 'off');
    expect(await refer('pair', 'add', ana.address, victor.address, '--weekly', 'mon', '08:00', '--tz', 'Europe/London', '--one-to-one', 'off', '--goal', '2')).toMatch(/pair/i);
    const [pair] = await referJson<{ id: string }>('pair', 'list');
    if (!pair) throw new Error('no pair');

    // Monday's introductions, over SMTP like any mail client.
    await introduce(ana, [victor, lena], 'Victor, meet Lena: she runs Park Bakery and is looking for better cover for her two shops. Lena, Victor is the best broker I know.\n\nAna', '<week-1@ruiz-consulting.example>');
    await introduce(victor, [ana, tom], 'Ana, meet Tom: Tom builds houses and needs help with his pricing. Tom, Ana is the consultant I told you about.\n\nVictor', '<week-2@hale-insurance.example>');
    await introduce(ana, [carla, omar], 'Carla, meet Omar: Omar is opening a second dental practice and needs a lease reviewed. Omar, Carla is excellent.\n\nAna', '<week-3@ruiz-consulting.example>');

    // Captured and (for Victor and Ana, whose calendars are connected) booked, by local mode itself.
    const intros = await until('three introductions, two booked', async () => {
      const listed = await referJson<IntroRecord>('intros', 'list');
      return listed.length === 3 && listed.filter((intro) => intro.status === 'meeting_booked').length === 2 ? listed : null;
    });
    const byProspect = (email: string) => {
      const found = intros.find((intro) => intro.parties.includes(email));
      if (!found) throw new Error(`no introduction with ${email}`);
      return found;
    };
    const [lenaIntro, tomIntro, omarIntro] = [byProspect(lena.address), byProspect(tom.address), byProspect(omar.address)];
    expect(omarIntro.status).not.toBe('meeting_booked');
    const captured = await outbox();
    expect(captured.filter((mail) => mail.purpose === 'capture_confirmation').map((mail) => mail.to).sort()).toEqual([ana.address, ana.address, victor.address].sort());

    // Follow-through derived what is due from the stream: updates within the hour, questions after the meetings, a nudge for Carla.
    const dues = await until('follow-ups derived', async () => {
      const shown = await Promise.all([lenaIntro, tomIntro, omarIntro].map((intro) => show(intro.id)));
      return shown.every((entry) => entry.introduction.followUp) ? shown.map((entry) => entry.introduction.followUp ?? {}) : null;
    });
    expect(dues[2]?.nudgeDueAt).toBeTruthy();

    // Later in the week: everything due so far runs, twice.
    const midweek = new Date(latest(dues[0]?.outcomeDueAt, dues[1]?.outcomeDueAt, dues[2]?.nudgeDueAt, dues[0]?.updateDueAt, dues[1]?.updateDueAt).getTime() + 60_000);
    await runTwice('sweep', midweek);
    let mails = await outbox();
    const sent = (purpose: string, to: string) => mails.filter((mail) => mail.purpose === purpose && mail.to === to);
    expect(sent('nudge', carla.address)).toHaveLength(1);
    expect(sent('outcome_question', victor.address)).toHaveLength(1);
    expect(sent('outcome_question', ana.address)).toHaveLength(1);
    // The introducers hear that the meetings are booked, from the partner's side.
    expect(sent('progress_update', ana.address).map((mail) => mail.subject)).toEqual(['Update from Victor: meeting booked with Lena Park']);
    expect(sent('progress_update', victor.address).map((mail) => mail.subject)).toEqual(['Update from Ana: meeting booked with Tom Okoye']);

    // The answers, clicked in the pages: Victor's meeting went well, Ana's prospect was not a fit.
    const victorsQuestion = sent('outcome_question', victor.address)[0] as OutboxMail;
    const anasQuestion = sent('outcome_question', ana.address)[0] as OutboxMail;
    expect(await clickAndConfirm(answerLink(victorsQuestion, 'Promising'))).toMatch(/recorded|Done|Thank/i);
    expect(await clickAndConfirm(answerLink(anasQuestion, 'Not a fit'))).toMatch(/recorded|Done|Thank/i);
    // The same link again changes nothing.
    const again = await fetch(answerLink(victorsQuestion, 'Promising'));
    expect(await again.text()).not.toContain('name="token"');
    await until('the answers reconciled', async () => {
      const [lenaNow, tomNow] = await Promise.all([show(lenaIntro.id), show(tomIntro.id)]);
      return lenaNow.introduction.status === 'met' && tomNow.introduction.status === 'not_a_fit' && (tomNow.introduction.followUp?.updateDueAt ?? null) !== null ? true : null;
    });
    expect((await show(lenaIntro.id)).history.some((event) => event.type === 'status_changed' && event.how === 'link')).toBe(true);

    // The not-a-fit prompt went to Ana straight away, with a ready note for Tom.
    mails = await outbox();
    expect(sent('not_a_fit', ana.address)).toHaveLength(1);
    expect(sent('not_a_fit', ana.address)[0]?.text).toContain('Hi Tom,');

    // An hour after the answers, the updates to the introducers.
    const afterAnswers = new Date(Math.max(Date.now(), midweek.getTime()) + 2 * 3_600_000);
    await runTwice('sweep', afterAnswers);
    mails = await outbox();
    expect(sent('progress_update', ana.address).map((mail) => mail.subject)).toEqual(['Update from Victor: meeting booked with Lena Park', 'Update from Victor: met Lena Park']);
    expect(sent('progress_update', victor.address)).toHaveLength(2);

    // The check-in, to both: at the pair's next Monday 08:00 in London when the seven days it reports on still
    // include Monday's introductions, or else right away (the job reports the seven days before its time).
    const monday = nextMondayEightLondon(afterAnswers);
    const capturedAt = Math.min(...intros.map((intro) => Date.parse(intro.createdAt)));
    const weeklyAt = monday.getTime() - capturedAt < 7 * 86_400_000 - 60_000 ? monday : new Date(afterAnswers.getTime() + 60_000);
    const [firstWeekly, secondWeekly] = await runTwice('weekly', weeklyAt, '--pair', pair.id);
    expect(firstWeekly).toMatch(/sent, sent/);
    expect(secondWeekly).toMatch(/already_sent, already_sent/);
    mails = await outbox();
    const weeklyToAna = sent('weekly_check_in', ana.address);
    expect(weeklyToAna).toHaveLength(1);
    expect(sent('weekly_check_in', victor.address)).toHaveLength(1);
    const weekly = weeklyToAna[0] as OutboxMail;
    expect(weekly.text).toContain('What help do you need this week?');
    expect(weekly.text).toContain('Lena Park');
    expect(weekly.text).toContain('Tom Okoye');
    expect(weekly.parsed.headers.get('auto-submitted')).toBe('auto-generated');
    // mailparser folds List-* headers into one object: read the lines as sent.
    const headerLine = (key: string) => weekly.parsed.headerLines.find((header) => header.key === key)?.line.replace(/\r?\n(?=[ \t])/g, '');
    expect(headerLine('list-unsubscribe')).toMatch(/^List-Unsubscribe: <http:\/\/127\.0\.0\.1:\d+\/unsubscribe\?token=\S+>$/);
    expect(headerLine('list-unsubscribe-post')).toBe('List-Unsubscribe-Post: List-Unsubscribe=One-Click');

    // Everything, once: no two emails for the same purpose, recipient and subject.
    const keys = mails.map((mail) => `${mail.purpose} ${mail.to} ${mail.subject}`);
    expect(keys.length).toBe(new Set(keys).size);
    const tally = new Map<string, number>();
    for (const mail of mails) tally.set(mail.purpose, (tally.get(mail.purpose) ?? 0) + 1);
    console.log(`a week in local mode: ${mails.length} emails (${[...tally].map(([purpose, count]) => `${purpose} ${count}`).join(', ')})`);
    console.log(`the weekly check-in Ana got, "${weekly.subject}":\n${weekly.text}`);
  });
});

/** The first Monday 08:00 Europe/London at or after `from` (it is UTC+0 or +1; the offset is read from Intl). */
function nextMondayEightLondon(from: Date): Date {
  for (let day = 0; day < 8; day += 1) {
    const date = new Date(from.getTime() + day * 86_400_000);
    const [weekday, ymd] = [
      new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/London', weekday: 'short' }).format(date),
      new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/London', year: 'numeric', month: '2-digit', day: '2-digit' }).format(date),
    ];
    if (weekday !== 'Mon') continue;
    const utcGuess = new Date(`${ymd}T08:00:00Z`);
    const offsetHours = Number(new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/London', hour: '2-digit', hourCycle: 'h23' }).format(utcGuess)) - 8;
    const candidate = new Date(utcGuess.getTime() - offsetHours * 3_600_000);
    if (candidate >= from) return candidate;
  }
  throw new Error('no Monday within eight days');
}
