import { META } from '../dynamodb/keys.ts';

/**
 * How local mode's schedules sit in the app's table (the single-table design of
 * `functions/adapters/dynamodb/table-design.ts`):
 *
 * | need                          | key                                                       |
 * |-------------------------------|-----------------------------------------------------------|
 * | a schedule by name            | pk `SCHEDULE#<name>`, sk `META`                           |
 * | armed schedules due by now    | GSI2 `SCHEDULE#armed`, `<next run ISO>#<name>` (one Query) |
 * | schedules that kept failing   | GSI2 `SCHEDULE#failed`, `<when it was due ISO>#<name>`     |
 *
 * On AWS the schedules live in EventBridge Scheduler instead and none of these items exist. The
 * `entity` is `schedule`, which neither stream trigger (booking, jobs) lets through.
 */
export const SCHEDULE_ENTITY = 'schedule';

export const schedulePartitions = {
  armed: 'SCHEDULE#armed',
  failed: 'SCHEDULE#failed',
} as const;

export const scheduleKeys = {
  schedule: (name: string) => ({ pk: `SCHEDULE#${name}`, sk: META }),
  /** GSI2 sort key: ISO instants sort as strings, so "due by now" is one range condition. */
  runOrder: (nextRunAt: Date | string, name: string) => `${typeof nextRunAt === 'string' ? nextRunAt : nextRunAt.toISOString()}#${name}`,
  /**
   * The greatest GSI2 sort key of anything due at `now`: names use only letters, digits, `-`, `_`
   * and `.`, which all sort before `~`.
   */
  dueBy: (now: Date) => `${now.toISOString()}#~`,
} as const;
