import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Runtime, DefaultLogger, type Worker } from '@temporalio/worker';
import type { ActivityDeps } from '../../activities';
import { createWorker } from '../../workflows/worker';

/** The Temporal dev server scripts/test.sh started (its own port, so it never sees dev runs). */
export const TEMPORAL_ADDRESS = process.env.TEMPORAL_ADDRESS ?? '127.0.0.1:7243';
/** Bundled once per jest run by global-setup, instead of once per suite. */
export const WORKFLOW_BUNDLE_PATH = join(__dirname, '../../.stack/test-workflow-bundle.js');

let runtimeQuiet = false;
function quietRuntime(): void {
  if (runtimeQuiet) return;
  Runtime.install({ logger: new DefaultLogger((process.env.TEMPORAL_LOG_LEVEL as 'ERROR' | undefined) ?? 'ERROR') });
  runtimeQuiet = true;
}

export interface TemporalHarness {
  client: Client;
  taskQueue: string;
  worker: Worker;
  /** Stops the worker (draining in-flight tasks) and closes both connections; a second call does nothing. */
  close(): Promise<void>;
}

/**
 * A worker on a task queue of its own, so suites running side by side never take each other's tasks.
 * Naming an existing `taskQueue` starts a replacement worker for it (a restart).
 */
export async function startTemporalHarness(deps: ActivityDeps, taskQueue = `test-${randomBytes(4).toString('hex')}`): Promise<TemporalHarness> {
  quietRuntime();
  const nativeConnection = await NativeConnection.connect({ address: TEMPORAL_ADDRESS });
  const worker = await createWorker(nativeConnection, { TEMPORAL_NAMESPACE: 'default', TEMPORAL_TASK_QUEUE: taskQueue }, deps, {
    workflowBundle: { codePath: WORKFLOW_BUNDLE_PATH },
  });
  const running = worker.run();
  const connection = await Connection.connect({ address: TEMPORAL_ADDRESS });
  const client = new Client({ connection });
  return {
    client,
    taskQueue,
    worker,
    close: async () => {
      if (worker.getState() !== 'RUNNING') return;
      worker.shutdown();
      await running;
      await connection.close();
      await nativeConnection.close();
    },
  };
}
