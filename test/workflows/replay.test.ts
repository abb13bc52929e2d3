import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from '@temporalio/worker';
import { WORKFLOW_BUNDLE_PATH } from '../support/temporal';

/**
 * Determinism guard: today's workflow code must replay the histories that earlier code recorded,
 * because running campaigns will. A change that would break them needs `patched()`.
 */
describe('campaign workflow replay', () => {
  const directory = join(__dirname, '../histories');
  const histories = readdirSync(directory).filter((name) => name.endsWith('.json'));

  it('has saved histories to replay', () => {
    expect(histories.length).toBeGreaterThan(0);
  });

  it.each(histories)('replays %s without nondeterminism', async (name) => {
    const history: unknown = JSON.parse(readFileSync(join(directory, name), 'utf8'));
    await expect(Worker.runReplayHistory({ workflowBundle: { codePath: WORKFLOW_BUNDLE_PATH } }, history)).resolves.toBeUndefined();
  });
});
