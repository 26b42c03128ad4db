import * as z from 'zod';

/**
 * The jobs the schedules run, as the jobs function receives them. `at` (optional) runs a job as
 * if it were that time: local mode's `refer jobs run --at` demonstrates a week in seconds.
 */
export const JOB_KINDS = ['nudge', 'outcome', 'close', 'update', 'weekly', 'one-to-one', 'group-digest', 'sweep'] as const;
export type JobKind = (typeof JOB_KINDS)[number];

const at = z.iso.datetime({ offset: true }).optional();

export const jobSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('nudge'), introductionId: z.string().min(1), at }),
  z.object({ kind: z.literal('outcome'), introductionId: z.string().min(1), at }),
  z.object({ kind: z.literal('close'), introductionId: z.string().min(1), at }),
  z.object({ kind: z.literal('update'), introductionId: z.string().min(1), at }),
  z.object({ kind: z.literal('weekly'), pairId: z.string().min(1), at }),
  z.object({ kind: z.literal('one-to-one'), pairId: z.string().min(1), at }),
  z.object({ kind: z.literal('group-digest'), groupId: z.string().min(1), at }),
  z.object({ kind: z.literal('sweep'), at }),
]);

export type Job = z.infer<typeof jobSchema>;
