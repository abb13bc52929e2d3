import { proxyActivities } from '@temporalio/workflow';
import type { CampaignActivities } from '../activities';

const { listClientIds, recalculateClientRfm } = proxyActivities<CampaignActivities>({
  // One set-based statement per client: a million donors take a couple of minutes.
  startToCloseTimeout: '30 minutes',
  retry: { initialInterval: '10 seconds', backoffCoefficient: 2, maximumInterval: '10 minutes', maximumAttempts: 10 },
});

/** Every client's RFM scores as of the moment the run started (the Schedule's nightly action). */
export async function rfmNightlyWorkflow(): Promise<{ clients: number; donorsChanged: number }> {
  const asOf = new Date().toISOString(); // workflow time: fixed for the run and its replays
  const clientIds = await listClientIds();
  let donorsChanged = 0;
  // One client after another: each is one large statement, and the database serves campaigns meanwhile.
  for (const clientId of clientIds) donorsChanged += await recalculateClientRfm({ clientId, asOf });
  return { clients: clientIds.length, donorsChanged };
}
