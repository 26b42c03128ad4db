import { deterministicId } from '../shared/ids.ts';
import { scheduleName } from '../schedules/scheduler-port.ts';
import type { FollowThroughDependencies } from '../followup/follow-through.ts';
import { DEFAULT_GOAL_PER_MONTH, MAX_GROUP_MEMBERS, MIN_GROUP_MEMBERS, type Group, type OneToOneCadence, type Pair } from './pair.ts';
import type { Weekday } from '../booking/time-zones.ts';

const CRON_DAYS: Record<Weekday, string> = { mon: 'MON', tue: 'TUE', wed: 'WED', thu: 'THU', fri: 'FRI', sat: 'SAT', sun: 'SUN' };

/** One-to-ones are booked at 09:00 (pair's zone) on the first day of each period, for a slot within the booking horizon. */
export const ONE_TO_ONE_CRON: Record<Exclude<OneToOneCadence, 'off'>, string> = {
  monthly: 'cron(0 9 1 * ? *)',
  quarterly: 'cron(0 9 1 1,4,7,10 ? *)',
  twice_a_year: 'cron(0 9 1 1,7 ? *)',
};

/** Group digests go out at 08:00 (group's zone) on the first of the month, about the month before. */
export const GROUP_DIGEST_CRON = 'cron(0 8 1 * ? *)';

export class InvalidPairError extends Error {
  override readonly name = 'InvalidPairError';
}

export function pairId(a: string, b: string): string {
  return deterministicId('pair', ...[a, b].sort()).slice(0, 16);
}

export function groupId(name: string): string {
  return deterministicId('group', name.trim().toLowerCase()).slice(0, 16);
}

/** Adds (or updates) a pair and arms its weekly check-in and one-to-one schedules. */
export async function addPair(
  input: { a: string; b: string; timeZone: string; weekly: Pair['weekly']; oneToOne: OneToOneCadence; goalPerMonth?: number },
  dependencies: FollowThroughDependencies,
): Promise<{ pair: Pair; result: 'added' | 'updated' }> {
  const [first, second] = [input.a, input.b].map((email) => email.toLowerCase()).sort() as [string, string];
  if (first === second) throw new InvalidPairError('a pair needs two different partners');
  for (const email of [first, second]) {
    if (!(await dependencies.partners.getPartner(email))) throw new InvalidPairError(`${email} is not a partner; add them first`);
  }
  const existing = await dependencies.pairs.getPair(pairId(first, second));
  const pair: Pair = {
    id: pairId(first, second),
    partners: [first, second],
    timeZone: input.timeZone,
    weekly: input.weekly,
    oneToOne: input.oneToOne,
    goalPerMonth: input.goalPerMonth ?? existing?.goalPerMonth ?? DEFAULT_GOAL_PER_MONTH,
    createdAt: existing?.createdAt ?? dependencies.clock.now().toISOString(),
    unsubscribed: existing?.unsubscribed ?? [],
    nextOneToOne: existing?.nextOneToOne ?? null,
  };
  const result = await dependencies.pairs.savePair(pair);
  await armPairSchedules(pair, dependencies);
  return { pair, result };
}

export async function armPairSchedules(pair: Pair, dependencies: FollowThroughDependencies): Promise<void> {
  const weekly = scheduleName('weekly', pair.id);
  if (pair.weekly) {
    const [hours, minutes] = pair.weekly.time.split(':').map(Number) as [number, number];
    await dependencies.scheduler.armRecurring(weekly, `cron(${minutes} ${hours} ? * ${CRON_DAYS[pair.weekly.day]} *)`, pair.timeZone, { kind: 'weekly', pairId: pair.id });
  } else {
    await dependencies.scheduler.disarm(weekly);
  }
  const oneToOne = scheduleName('one-to-one', pair.id);
  if (pair.oneToOne === 'off') await dependencies.scheduler.disarm(oneToOne);
  else await dependencies.scheduler.armRecurring(oneToOne, ONE_TO_ONE_CRON[pair.oneToOne], pair.timeZone, { kind: 'one-to-one', pairId: pair.id });
}

/** Adds (or updates) a group of 2 to 12 partners and arms its monthly digest. */
export async function addGroup(input: { name: string; members: readonly string[]; timeZone: string }, dependencies: FollowThroughDependencies): Promise<{ group: Group; result: 'added' | 'updated' }> {
  const members = [...new Set(input.members.map((email) => email.toLowerCase()))].sort();
  if (members.length < MIN_GROUP_MEMBERS || members.length > MAX_GROUP_MEMBERS) {
    throw new InvalidPairError(`a group has ${MIN_GROUP_MEMBERS} to ${MAX_GROUP_MEMBERS} members; ${members.length} given`);
  }
  for (const email of members) {
    if (!(await dependencies.partners.getPartner(email))) throw new InvalidPairError(`${email} is not a partner; add them first`);
  }
  const id = groupId(input.name);
  const existing = await dependencies.pairs.getGroup(id);
  const group: Group = {
    id,
    name: input.name.trim(),
    members,
    timeZone: input.timeZone,
    createdAt: existing?.createdAt ?? dependencies.clock.now().toISOString(),
    unsubscribed: existing?.unsubscribed ?? [],
  };
  const result = await dependencies.pairs.saveGroup(group);
  await dependencies.scheduler.armRecurring(scheduleName('group-digest', id), GROUP_DIGEST_CRON, group.timeZone, { kind: 'group-digest', groupId: id });
  return { group, result };
}
