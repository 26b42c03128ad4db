import type { StoredSchedule } from '../../adapters/scheduler/table-scheduler.ts';
import { contactLabel, type Introduction } from '../../domain/introductions/introduction.ts';
import type { Group, Pair } from '../../domain/pairs/pair.ts';
import type { Partner } from '../../domain/partners/partner.ts';
import type { Job } from '../../domain/schedules/jobs.ts';
import { html, type SafeHtml } from '../../web/html.ts';
import type { DashboardPage } from './dashboard-layout.ts';
import { introductionTitle, relativeTime, type TimeFormat } from './format.ts';

export const RUN_NOW_PATH = '/schedules/run';

const JOB_LABELS: Readonly<Record<Job['kind'], string>> = {
  nudge: 'Nudge',
  outcome: '“How did it go?”',
  close: '“Did it close?”',
  update: 'Update to the introducer',
  weekly: 'Weekly check-in',
  'one-to-one': 'One-to-one booking',
  'group-digest': 'Monthly group digest',
  sweep: 'Daily sweep',
};

/** What a "run now" did, shown once after the redirect. */
export interface RunResult {
  readonly name: string;
  readonly outcomes: readonly string[];
  readonly failed: boolean;
}

/** When a one-time job runs early, it runs as of its own time, so it does what it will do then. */
export function runAt(schedule: Pick<StoredSchedule, 'kind' | 'nextRunAt'>, now: Date): Date {
  return schedule.kind === 'once' && schedule.nextRunAt > now ? schedule.nextRunAt : now;
}

const DAY_NAMES: Readonly<Record<string, string>> = { MON: 'Monday', TUE: 'Tuesday', WED: 'Wednesday', THU: 'Thursday', FRI: 'Friday', SAT: 'Saturday', SUN: 'Sunday' };
const MONTH_NAMES = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** "every Monday at 08:00", "on the 1st of Jan, Apr, Jul, Oct at 09:00"; the EventBridge expression itself otherwise. */
export function describeCron(cron: string): string {
  const fields = /^(?:cron\()?\s*(\d+) (\d+) (\S+) (\S+) (\S+) \*\s*\)?$/.exec(cron.trim());
  if (!fields) return cron;
  const [, minute = '', hour = '', dayOfMonth = '', month = '', dayOfWeek = ''] = fields;
  const time = `${hour.padStart(2, '0')}:${minute.padStart(2, '0')}`;
  if (dayOfMonth === '?' && month === '*' && DAY_NAMES[dayOfWeek]) return `every ${DAY_NAMES[dayOfWeek]} at ${time}`;
  if (dayOfWeek === '?' && /^\d+$/.test(dayOfMonth)) {
    const day = ordinal(Number(dayOfMonth));
    if (month === '*') return `on the ${day} of each month at ${time}`;
    const months = month.split(',').map((value) => MONTH_NAMES[Number(value) - 1]);
    if (months.every(Boolean)) return `on the ${day} of ${months.join(', ')} at ${time}`;
  }
  return cron;
}

function ordinal(day: number): string {
  const suffix = day % 100 >= 11 && day % 100 <= 13 ? 'th' : (['th', 'st', 'nd', 'rd'][day % 10] ?? 'th');
  return `${day}${suffix}`;
}

export function schedulesPage(input: {
  readonly schedules: readonly StoredSchedule[];
  readonly introductions: readonly Introduction[];
  readonly pairs: readonly Pair[];
  readonly groups: readonly Group[];
  readonly partners: readonly Partner[];
  readonly result: RunResult | null;
  readonly format: TimeFormat;
  readonly now: Date;
}): DashboardPage {
  const { format, now } = input;
  const name = (email: string) => {
    const partner = input.partners.find((item) => item.email === email);
    return contactLabel({ email, name: partner?.name ?? null });
  };
  const target = (job: Job): SafeHtml => {
    if ('introductionId' in job) {
      const intro = input.introductions.find((item) => item.id === job.introductionId);
      return html`<a href="/introductions/${encodeURIComponent(job.introductionId)}">${intro ? introductionTitle(intro) : job.introductionId}</a>`;
    }
    if ('pairId' in job) {
      const pair = input.pairs.find((item) => item.id === job.pairId);
      return html`${pair ? pair.partners.map(name).join(' & ') : job.pairId}`;
    }
    if ('groupId' in job) return html`${input.groups.find((item) => item.id === job.groupId)?.name ?? job.groupId}`;
    return html`everything`;
  };
  const rows = input.schedules.map((schedule, index) => {
    const at = runAt(schedule, now);
    const early = at.getTime() !== now.getTime();
    return html`<tr>
<td data-label="Next">${format.element(schedule.nextRunAt.toISOString())}<br><span class="note">${relativeTime(schedule.nextRunAt, now)}</span></td>
<td data-label="Job">${JOB_LABELS[schedule.job.kind]}</td>
<td data-label="For">${target(schedule.job)}</td>
<td data-label="Schedule">${schedule.kind === 'recurring' ? html`<span title="${schedule.cron ?? ''}">${describeCron(schedule.cron ?? '')}</span><br><span class="note">${schedule.timeZone ?? ''}</span>` : 'once'}${
      schedule.attempts > 0 ? html`<br><span class="badge tone-bad">${schedule.attempts} failed</span> ${schedule.lastError ?? ''}` : ''
    }</td>
<td data-label="Run"><form method="post" action="${RUN_NOW_PATH}"><input type="hidden" name="name" value="${schedule.name}"><button type="submit" id="run-${index}" aria-describedby="what-${index}">Run now</button><span class="visually-hidden" id="what-${index}">${JOB_LABELS[schedule.job.kind]}: ${target(schedule.job)}${early ? `, as of ${format.dateTimeOf(at)}` : ''}</span></form></td>
</tr>`;
  });
  const result = input.result;
  const body = html`${
    result
      ? html`<p class="flash${result.failed ? ' problem' : ''}" role="status">${result.failed ? `${result.name} failed: ` : `Ran ${result.name}: `}${result.outcomes.join(', ') || 'nothing due'}. ${
          result.failed ? '' : html`<a href="/outbox">See the outbox</a>.`
        }</p>`
      : ''
  }
<p>Schedules live in the table; the in-process scheduler runs each when it is due, as EventBridge Scheduler does on AWS. <strong>Run now</strong> runs the job the way <code>npx refer jobs run</code> does: a check-in or digest as of now; a one-time follow-up as of its own time, so it does now what it will do then. Running a job twice sends nothing twice.</p>
<div id="schedules" data-live>
${
  input.schedules.length === 0
    ? html`<p class="empty">No schedules yet. Pairs, groups and introductions arm them.</p>`
    : html`<div class="table-wrap" role="region" aria-label="Schedules" tabindex="0"><table class="stack">
<thead><tr><th scope="col">Next</th><th scope="col">Job</th><th scope="col">For</th><th scope="col">Schedule</th><th scope="col">Run</th></tr></thead>
<tbody>${rows}</tbody>
</table></div>`
}
</div>`;
  return { title: 'Schedules', section: '/schedules', body };
}
