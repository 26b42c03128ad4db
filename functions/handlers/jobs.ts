import { SchedulerClient } from '@aws-sdk/client-scheduler';
import { sendCaptureMail } from '../domain/capture/capture-mail.ts';
import type { FollowThroughDependencies } from '../domain/followup/follow-through.ts';
import { reconcileIntroduction } from '../domain/followup/reconcile.ts';
import { armPairSchedules, GROUP_DIGEST_CRON } from '../domain/pairs/pair-setup.ts';
import { keepPairViewsUpToDate, REBUILT_STAMP, streamStamp } from '../domain/pairs/pair-view.ts';
import { runJob } from '../domain/schedules/run-job.ts';
import { scheduleName } from '../domain/schedules/scheduler-port.ts';
import { EventBridgeJobScheduler } from '../adapters/scheduler/eventbridge-scheduler.ts';
import { PowertoolsBusinessMetrics } from '../adapters/metrics/powertools-business-metrics.ts';
import { bookingRuntimeFromEnvironment } from '../shared/booking-runtime.ts';
import { noBusinessMetrics, type BusinessMetrics } from '../shared/business-metrics.ts';
import { followThroughDependencies } from '../shared/follow-through-wiring.ts';
import { readJobsEnvironment } from '../shared/jobs-config.ts';
import { logger, type LogSink } from '../shared/logger.ts';
import { followThroughWork, jobsEventSchema, type FollowThroughWork } from './follow-through-event.ts';

export interface JobsHandlerDependencies {
  readonly followThrough: FollowThroughDependencies;
  readonly logger: LogSink;
  /** Introductions the sweep booked and failures (absent: nothing is counted). */
  readonly metrics?: BusinessMetrics;
}

/** The sweep's outcome for an introduction it booked (`booking:<outcome>` in `sweep`). */
export const SWEEP_BOOKED_OUTCOME = 'booking:booked';

export type JobsHandlerResult = { batchItemFailures: { itemIdentifier: string }[] } | { kind: string; outcomes: readonly string[] };

export class InvalidJobsEventError extends Error {
  override readonly name = 'InvalidJobsEventError';
}

/**
 * The jobs function: the schedules' target (one job per invocation, idempotent) and the table
 * stream's follow-through consumer (every introduction change re-derives its follow-ups; a new or
 * changed pair or group gets its recurring schedules; a delivery the capture recorded gets its
 * confirmation or needs-attention email). Stream failures are reported per record.
 */
export function makeJobsHandler(dependencies: JobsHandlerDependencies) {
  const metrics = dependencies.metrics ?? noBusinessMetrics;
  const follow = async (work: NonNullable<FollowThroughWork>): Promise<void> => {
    const deps = dependencies.followThrough;
    if (work.kind === 'introduction') {
      await reconcileIntroduction(work.current.id, deps, work.previous?.followUp ?? null);
      // The weekly check-in's read model in the pair's partition (without a sequence number, only a missing item is written).
      await keepPairViewsUpToDate(work.previous, work.current, work.sequenceNumber ? streamStamp(work.sequenceNumber) : REBUILT_STAMP, deps.pairViews);
    } else if (work.kind === 'capture_mail') {
      await sendCaptureMail(work.inbound, { ...deps, introductions: deps.store, settings: { captureAddress: deps.captureAddress } });
    } else if (work.kind === 'pair') await armPairSchedules(work.pair, deps);
    else await deps.scheduler.armRecurring(scheduleName('group-digest', work.group.id), GROUP_DIGEST_CRON, work.group.timeZone, { kind: 'group-digest', groupId: work.group.id });
  };

  return async (event: unknown): Promise<JobsHandlerResult> => {
    const parsed = jobsEventSchema.safeParse(event);
    if (!parsed.success) {
      dependencies.logger.error('not a jobs event', { issues: parsed.error.issues.length });
      metrics.failure('invalid_event');
      throw new InvalidJobsEventError('the event is neither a job nor stream records');
    }
    if ('Records' in parsed.data) {
      const batchItemFailures: { itemIdentifier: string }[] = [];
      for (const record of parsed.data.Records) {
        try {
          const work = followThroughWork(record);
          if (work) await follow(work);
        } catch (error) {
          metrics.failure('job_error');
          dependencies.logger.warn('follow-through failed; will retry', { error: error instanceof Error ? error.name : 'error' });
          batchItemFailures.push({ itemIdentifier: record.dynamodb.SequenceNumber ?? record.eventID ?? '' });
        }
      }
      return { batchItemFailures };
    }
    let result: Awaited<ReturnType<typeof runJob>>;
    try {
      result = await runJob(parsed.data, dependencies.followThrough);
    } catch (error) {
      metrics.failure('job_error');
      throw error;
    }
    // The daily sweep books introductions whose booking trigger was lost.
    for (const outcome of result.outcomes) if (outcome === SWEEP_BOOKED_OUTCOME) metrics.introductionBooked();
    dependencies.logger.info('job ran', { kind: result.kind, outcomes: result.outcomes });
    return result;
  };
}

let configured: Promise<ReturnType<typeof makeJobsHandler>> | undefined;

/** The function's own ARN, without a version or alias: the target of the schedules it creates. */
function unqualified(arn: string): string {
  return arn.split(':').slice(0, 7).join(':');
}

const metrics = new PowertoolsBusinessMetrics();

const handle = async (event: unknown, context: { invokedFunctionArn: string }): Promise<JobsHandlerResult> => {
  configured ??= (async () => {
    const environment = readJobsEnvironment(process.env);
    const runtime = await bookingRuntimeFromEnvironment(process.env, { metrics });
    const scheduler = new EventBridgeJobScheduler(new SchedulerClient({}), {
      groupName: environment.SCHEDULE_GROUP,
      targetArn: unqualified(context.invokedFunctionArn),
      roleArn: environment.SCHEDULER_ROLE_ARN,
      deadLetterArn: environment.SCHEDULER_DEAD_LETTER_ARN,
    });
    const followThrough = followThroughDependencies({
      connection: runtime.connection,
      scheduler,
      sender: runtime.booking.sender,
      links: runtime.links,
      booking: runtime.booking,
      captureAddress: environment.CAPTURE_ADDRESS,
    });
    return makeJobsHandler({ followThrough, logger, metrics });
  })().catch((error: unknown) => {
    // A missing secret is fixed by the operator; the next invocation tries again.
    configured = undefined;
    throw error;
  });
  return (await configured)(event);
};

/** The Lambda entry point. Its own ARN comes from the invocation (an environment variable would be a cycle). */
export const handler = (event: unknown, context: { invokedFunctionArn: string }): Promise<JobsHandlerResult> =>
  metrics.publishingAfter(() => handle(event, context));
