import type { Introduction } from '../introductions/introduction.ts';
import type { FollowUpStore } from './follow-up-ports.ts';
import { EMPTY_FOLLOW_UP, type FollowUpState } from './follow-up-state.ts';

/**
 * Writers that collide (the stream's reconcile, a job, an answer) read again and retry; this
 * many collisions in a row means something keeps rewriting the item, and the caller's retry
 * (Lambda's, or the next sweep) is the better place to try again.
 */
export const MAX_FOLLOW_UP_ATTEMPTS = 5;

export class FollowUpContentionError extends Error {
  override readonly name = 'FollowUpContentionError';
}

export interface FollowUpWrite {
  /** The introduction as read for the write that landed (or for the decision to write nothing). */
  readonly introduction: Introduction;
  readonly before: FollowUpState;
  readonly after: FollowUpState;
  readonly written: boolean;
}

/**
 * Read, change, write only if nobody wrote in between: `change` gets the introduction as it is
 * now and returns its new follow-up state, or null to leave it alone. Returns null when the
 * introduction does not exist.
 */
export async function updateFollowUp(
  id: string,
  store: FollowUpStore,
  change: (introduction: Introduction, state: FollowUpState) => FollowUpState | null,
): Promise<FollowUpWrite | null> {
  for (let attempt = 1; attempt <= MAX_FOLLOW_UP_ATTEMPTS; attempt += 1) {
    const introduction = await store.getIntroduction(id);
    if (!introduction) return null;
    const before = introduction.followUp ?? EMPTY_FOLLOW_UP;
    const after = change(introduction, before);
    if (after === null || sameFollowUp(before, after)) return { introduction, before, after: before, written: false };
    if (await store.saveFollowUp(id, { status: introduction.status, revision: introduction.followUpRevision ?? 0 }, after)) return { introduction, before, after, written: true };
  }
  throw new FollowUpContentionError(`the follow-ups of introduction ${id} changed under ${MAX_FOLLOW_UP_ATTEMPTS} attempts in a row`);
}

/** Equal field by field, whatever order the keys came in (the table returns maps unordered). */
export function sameFollowUp(a: FollowUpState, b: FollowUpState): boolean {
  return canonical(a) === canonical(b);
}

function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0));
    return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${canonical(item)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'undefined';
}
