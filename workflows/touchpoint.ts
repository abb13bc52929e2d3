import { condition, continueAsNew, proxyActivities, setHandler, workflowInfo } from '@temporalio/workflow';
import type { CampaignActivities } from '../activities';
import {
  DELIVERY_LANES, type LaneCursor, type StepTally, type TouchpointInput, addTallies, emptyTally, haltSignal, holdSignal,
} from './definitions';

const { deliverBatch } = proxyActivities<CampaignActivities>({
  startToCloseTimeout: '2 minutes',
  // A worker that dies mid-batch is noticed within seconds, not after the whole start-to-close timeout.
  heartbeatTimeout: '20 seconds',
  // Provider outages can last; keep retrying with backoff (Retry-After overrides the next delay).
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '2 minutes' },
});

/** Keeps each run's history small however large the audience: ~6 events a batch. */
const ROUNDS_PER_RUN = 200;

/**
 * One touchpoint to the whole frozen audience. Each lane pages its shard of the recipients with one
 * activity per batch of at most 1,000, passing only a cursor; the lanes advance in rounds, one batch
 * each, and hold between rounds while the campaign is paused.
 */
export async function touchpointWorkflow(input: TouchpointInput): Promise<StepTally> {
  let held = input.resumeFrom?.held ?? false;
  let halted = false;
  setHandler(holdSignal, (hold) => { held = hold; });
  setHandler(haltSignal, () => { halted = true; });

  let tally = input.resumeFrom?.tally ?? emptyTally();
  const lanes: LaneCursor[] = input.resumeFrom?.lanes ?? Array.from({ length: DELIVERY_LANES }, () => null);
  for (let rounds = 0; lanes.some((lane) => lane !== 'done'); rounds++) {
    await condition(() => !held || halted);
    if (halted) break;
    if (rounds >= ROUNDS_PER_RUN || workflowInfo().continueAsNewSuggested) {
      await continueAsNew<typeof touchpointWorkflow>({ ...input, resumeFrom: { lanes, tally, held } });
    }
    await Promise.all(lanes.map(async (cursor, shard) => {
      if (cursor === 'done') return;
      const batch = await deliverBatch({ campaignId: input.campaignId, clientId: input.clientId, stepNumber: input.stepNumber, shard, afterDonorId: cursor });
      tally = addTallies(tally, batch.tally);
      lanes[shard] = batch.nextCursor ?? 'done';
    }));
  }
  return tally;
}
