/** Client-side: the Temporal Schedules the product relies on, created idempotently at worker start. */
import { type Client, ScheduleAlreadyRunning, ScheduleOverlapPolicy } from '@temporalio/client';
import { rfmNightlyWorkflow } from './rfm-nightly';

export const RFM_SCHEDULE_ID = 'rfm-nightly';

/** Recalculates every client's RFM scores at 03:00 UTC; a run still going at the next tick is not doubled. */
export async function ensureRfmSchedule(client: Client, taskQueue: string, scheduleId = RFM_SCHEDULE_ID): Promise<void> {
  try {
    await client.schedule.create({
      scheduleId,
      spec: { calendars: [{ hour: 3, minute: 0 }] },
      action: { type: 'startWorkflow', workflowType: rfmNightlyWorkflow, workflowId: scheduleId, taskQueue },
      policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '1 hour' },
      state: { note: 'Track15: nightly RFM recalculation of every client' },
    });
  } catch (error) {
    if (!(error instanceof ScheduleAlreadyRunning)) throw error;
  }
}
