import type { Job } from './jobs.ts';

/**
 * Where schedules live: EventBridge Scheduler on AWS, an in-process scheduler locally. Names are
 * deterministic (`scheduleName`), so arming the same schedule twice is harmless, and the set of
 * schedules can always be rebuilt from the table.
 */
export interface JobScheduler {
  /** A one-time schedule: runs `job` once at `at` (then it is deleted). Replaces one of the same name. */
  armOnce(name: string, at: Date, job: Job): Promise<void>;
  /** A recurring schedule: a cron expression (EventBridge's six fields) in an IANA time zone. */
  armRecurring(name: string, cron: string, timeZone: string, job: Job): Promise<void>;
  /** Removes the schedule; a schedule that is not there counts as removed. */
  disarm(name: string): Promise<void>;
}

/**
 * EventBridge Scheduler names: 1–64 characters of letters, digits, `-`, `_` and `.`.
 * Ids in this system are base32, so `<kind>-<id>` stays well inside that.
 */
export const MAX_SCHEDULE_NAME_LENGTH = 64;

export function scheduleName(kind: string, id: string): string {
  const name = `${kind}-${id}`.replace(/[^A-Za-z0-9_.-]/g, '-');
  return name.slice(0, MAX_SCHEDULE_NAME_LENGTH);
}
