/**
 * Records the histories that test/workflows/replay.test.ts replays: a whole arc at one-second days with a
 * pause and a resume in the middle (the campaign workflow, to <target>), whose step 1 carries an A/B test
 * (its touchpoint child workflow, with the variants' send, the wait and the decision, to <target>-touchpoint-1.json)
 * and whose step 2 is sent by email and SMS (its touchpoint, an email lane and a text lane per shard, to
 * <target>-touchpoint-2.json). Run it (with the test stack up: `npm test` leaves none running, so
 * start it as scripts/test.sh does) only to add a NEW history file when the workflow changes on purpose
 * behind `patched()`; never re-record an existing file, or the determinism guard guards nothing.
 *   PG_ADMIN_URL=… TEMPORAL_ADDRESS=… npx tsx test/support/record-campaign-history.ts test/histories/<name>.json
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync, mkdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import { campaignWorkflowId, touchpointWorkflowId } from '../../domain/campaigns/workflow-contract';
import { pauseCampaign, resumeCampaign } from '../../workflows/campaigns/lifecycle';
import { eventually, startCampaignHarness } from './campaign-harness';
import { zoneAt } from './fixtures';
import { TEMPORAL_ADDRESS, WORKFLOW_BUNDLE_PATH } from './temporal';

const TEMPORAL_CLI = process.env.TEMPORAL_CLI ?? join(homedir(), '.cache/track15/bin/temporal');

async function main(target: string): Promise<void> {
  const { code } = await bundleWorkflowCode({ workflowsPath: require.resolve('../../workflows/index') });
  mkdirSync(dirname(WORKFLOW_BUNDLE_PATH), { recursive: true });
  writeFileSync(WORKFLOW_BUNDLE_PATH, code);
  const h = await startCampaignHarness({ batchSize: 5 });
  try {
    const clientId = await h.fixtures.client('History Client');
    const donorIds = await h.fixtures.donors(clientId, [...Array(12)].map((_, i) => ({
      email: `history-${i}@donors.test`, first_name: `H${i}`, phone: `+1415555${String(9000 + i)}`,
    })));
    // Texts go out 08:00-21:00 in the recipient's zone: the donors live where it is early afternoon now.
    await h.fixtures.query('update donors set timezone = $1 where id = any($2::uuid[])',
      [zoneAt(14), donorIds]);
    await h.fixtures.query(`insert into notification_preferences (client_id, donor_id, category, sms_enabled) select $1, unnest($2::uuid[]), 'marketing', true`,
      [clientId, donorIds]);
    await h.fixtures.query(`update clients set sms_from_number = '+15005550099' where id = $1`, [clientId]);
    const campaignId = await h.fixtures.track15Campaign(clientId, { dayLengthSeconds: 1, controlShare: 0.25 });
    await h.fixtures.query(`update track15_narrative_steps set channel = 'email_and_sms' where campaign_id = $1 and step_number = 2`, [campaignId]);
    // 24 hours of waiting at one-second days is one second before the winner goes to the rest.
    const abTest = { variants: [{ subject_line: 'Variant A' }, { subject_line: 'Variant B' }], metric: 'opens', test_share: 0.5, wait_hours: 24 };
    await h.fixtures.query('update track15_narrative_steps set ab_test = $1 where campaign_id = $2 and step_number = 1', [abTest, campaignId]);
    await h.activate(clientId, campaignId);
    await eventually(async () => (h.sink.deliveries().length >= 9 ? true : undefined));
    await pauseCampaign(h.lifecycle, campaignId, 'recording a pause');
    await new Promise((resolve) => setTimeout(resolve, 1500));
    await resumeCampaign(h.lifecycle, campaignId);
    await h.result(campaignId);
    mkdirSync(dirname(target), { recursive: true });
    save(campaignWorkflowId(campaignId), target);
    for (const step of [1, 2]) save(touchpointWorkflowId(campaignId, step), target.replace(/\.json$/, `-touchpoint-${step}.json`));
  } finally {
    await h.close();
  }
}

/** The CLI writes the standard JSON history format that every SDK's replayer reads. */
function save(workflowId: string, file: string): void {
  const history = execFileSync(TEMPORAL_CLI, ['workflow', 'show', '--address', TEMPORAL_ADDRESS, '--workflow-id', workflowId, '--output', 'json']);
  writeFileSync(file, history);
  console.log(`recorded ${(JSON.parse(history.toString()) as { events: unknown[] }).events.length} events of ${workflowId} to ${file}`);
}

main(process.argv[2] ?? 'test/histories/campaign-arc-v1.json').catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
