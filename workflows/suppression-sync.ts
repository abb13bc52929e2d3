import { defineSignal, proxyActivities, setHandler } from '@temporalio/workflow';
import type { CampaignActivities } from '../activities';
import type { SuppressionSyncInput } from '../activities/email/suppression-sync';

const { syncSuppression } = proxyActivities<CampaignActivities>({
  startToCloseTimeout: '30 seconds',
  // SendGrid outages can last: keep retrying with backoff (Retry-After sets the next delay).
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '5 minutes' },
});

export const preferencesChangedSignal = defineSignal('preferencesChanged');

export const suppressionSyncWorkflowId = ({ clientId, donorId }: SuppressionSyncInput) => `suppression-sync-${clientId}-${donorId}`;

/**
 * One run per donor at a time (started with signal-with-start): a change that arrives while a sync is
 * under way makes it sync once more, so SendGrid ends with the latest preferences.
 */
export async function suppressionSyncWorkflow(input: SuppressionSyncInput): Promise<number> {
  let changed = true;
  setHandler(preferencesChangedSignal, () => { changed = true; });
  let syncs = 0;
  while (changed) {
    changed = false;
    await syncSuppression(input);
    syncs++;
  }
  return syncs;
}
