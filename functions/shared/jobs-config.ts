import * as z from 'zod';
import { bookingEnvironmentSchema } from './booking-config.ts';

/**
 * Environment of the jobs function: everything booking needs (one-to-ones are booked in the
 * partners' calendars, emails carry signed links), plus where its schedules live. The function's
 * own ARN (the schedules' target) comes from the invocation context, not the environment, which
 * would be a CloudFormation cycle.
 */
export const jobsEnvironmentSchema = bookingEnvironmentSchema.extend({
  /** The capture address: replies to recurring emails come back to it and are recorded. */
  CAPTURE_ADDRESS: z.email().transform((value) => value.toLowerCase()),
  /** EventBridge Scheduler group holding every schedule the jobs function creates. */
  SCHEDULE_GROUP: z.string().min(1),
  /** Role EventBridge Scheduler assumes to invoke the jobs function (and only that). */
  SCHEDULER_ROLE_ARN: z.string().min(1),
  /** Dead-letter queue for schedules whose invocation fails after retries. */
  SCHEDULER_DEAD_LETTER_ARN: z.string().min(1),
});

export type JobsEnvironment = z.infer<typeof jobsEnvironmentSchema>;

export function readJobsEnvironment(env: NodeJS.ProcessEnv): JobsEnvironment {
  return jobsEnvironmentSchema.parse(env);
}
