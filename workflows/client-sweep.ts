import { proxyActivities } from '@temporalio/workflow';
import type { CampaignActivities } from '../activities';

const activities = proxyActivities<CampaignActivities>({
  // One set-based statement per client: a million donors take a couple of minutes.
  startToCloseTimeout: '30 minutes',
  retry: { initialInterval: '10 seconds', backoffCoefficient: 2, maximumInterval: '10 minutes', maximumAttempts: 10 },
});

/** A per-client activity of the scheduled sweeps: the client and the run's instant in, a count of donors out. */
type ClientSweep = 'recalculateClientRfm' | 'lapseClientDonors';

/**
 * Runs `sweep` for every client as of the moment the run started (workflow time: fixed for the run and
 * its replays), one client after another (each is one large statement, and the database serves
 * campaigns meanwhile); answers how many clients and the sum of their counts. The body of the
 * Schedules' workflows (workflows/schedules.ts).
 */
export async function sweepClients(sweep: ClientSweep): Promise<{ clients: number; donors: number }> {
  const asOf = new Date().toISOString();
  const clientIds = await activities.listClientIds();
  let donors = 0;
  for (const clientId of clientIds) donors += await activities[sweep]({ clientId, asOf });
  return { clients: clientIds.length, donors };
}
