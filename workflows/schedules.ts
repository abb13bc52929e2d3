/** Client-side: the Temporal Schedules the product relies on, created idempotently at worker start. */
import { type Client, ScheduleAlreadyRunning, ScheduleOverlapPolicy } from '@temporalio/client';
import { journeyLapseWorkflow } from './journeys/lapse-sweep';
import { rfmNightlyWorkflow } from './rfm-nightly';

export const RFM_SCHEDULE_ID = 'rfm-nightly';
export const JOURNEY_LAPSE_SCHEDULE_ID = 'journey-lapse-daily';

interface DailySweep {
  scheduleId: string;
  /** The time of day it runs, UTC. */
  hour: number;
  minute: number;
  workflowType: typeof rfmNightlyWorkflow | typeof journeyLapseWorkflow;
  note: string;
}

/**
 * A Schedule that starts `workflowType` (workflow id = the schedule id) once a day; a run still going at
 * the next tick is not doubled, and a tick missed by less than an hour (the server was down) still runs.
 * Creating it again (every worker start) changes nothing.
 */
async function ensureDailySweep(client: Client, taskQueue: string, sweep: DailySweep): Promise<void> {
  try {
    await client.schedule.create({
      scheduleId: sweep.scheduleId,
      spec: { calendars: [{ hour: sweep.hour, minute: sweep.minute }] },
      action: { type: 'startWorkflow', workflowType: sweep.workflowType, workflowId: sweep.scheduleId, taskQueue },
      policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '1 hour' },
      state: { note: sweep.note },
    });
  } catch (error) {
    if (!(error instanceof ScheduleAlreadyRunning)) throw error;
  }
}

/** Recalculates every client's RFM scores at 03:00 UTC. */
export function ensureRfmSchedule(client: Client, taskQueue: string, scheduleId = RFM_SCHEDULE_ID): Promise<void> {
  return ensureDailySweep(client, taskQueue,
    { scheduleId, hour: 3, minute: 0, workflowType: rfmNightlyWorkflow, note: 'Track15: nightly RFM recalculation of every client' });
}

/** Lapses every client's donors past their lapse window at 02:30 UTC (domain/journeys.ts), before the RFM run. */
export function ensureJourneyLapseSchedule(client: Client, taskQueue: string, scheduleId = JOURNEY_LAPSE_SCHEDULE_ID): Promise<void> {
  return ensureDailySweep(client, taskQueue,
    { scheduleId, hour: 2, minute: 30, workflowType: journeyLapseWorkflow, note: 'Track15: daily lapse of donors without a gift for their client\'s lapse_after_days' });
}
