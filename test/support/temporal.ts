import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Runtime, DefaultLogger, type Worker } from '@temporalio/worker';
import type { ActivityDeps } from '../../activities';
import { closeFenceSessions } from '../../activities/attempt-fence';
import { TRACING_CLIENT_INTERCEPTORS } from '../../domain/telemetry/tracing';
import { createWorker } from '../../workflows/worker';

/** The Temporal dev server scripts/test.sh started (its own port, so it never sees dev runs). */
export const TEMPORAL_ADDRESS = process.env.TEMPORAL_ADDRESS ?? '127.0.0.1:7243';
/** Bundled once per jest run by global-setup, instead of once per suite. */
export const WORKFLOW_BUNDLE_PATH = join(__dirname, '../../.stack/test-workflow-bundle.js');

let runtimeInstalled = false;
/**
 * The SDK runtime is installed once per process, before the first connection: quiet by default, or as
 * a suite asks (its logs and metrics under test) when it calls this before its first harness.
 */
export function installTestRuntime(
  install: () => void = () => Runtime.install({ logger: new DefaultLogger((process.env.TEMPORAL_LOG_LEVEL as 'ERROR' | undefined) ?? 'ERROR') }),
): void {
  if (runtimeInstalled) return;
  install();
  runtimeInstalled = true;
}

export interface TemporalHarness {
  client: Client;
  taskQueue: string;
  /** Stops the worker (draining in-flight tasks), as when its process goes down; tasks then queue up. */
  stopWorker(): Promise<void>;
  /** A new worker on the same task queue, as when the process comes back. */
  startWorker(): Promise<void>;
  /** Stops the worker and closes both connections. */
  close(): Promise<void>;
}

/** A worker on a task queue of its own, so suites running side by side never take each other's tasks. */
export async function startTemporalHarness(deps: ActivityDeps): Promise<TemporalHarness> {
  installTestRuntime();
  const taskQueue = `test-${randomBytes(4).toString('hex')}`;
  // One native connection for the harness's life: the SDK's runtime does not come back cleanly in a
  // process once every native resource has closed (the jest worker then cannot exit).
  const nativeConnection = await NativeConnection.connect({ address: TEMPORAL_ADDRESS });
  let worker: Worker | null = null;
  let running: Promise<void> = Promise.resolve();
  const startWorker = async () => {
    worker = await createWorker(nativeConnection, { TEMPORAL_NAMESPACE: 'default', TEMPORAL_TASK_QUEUE: taskQueue }, deps, {
      workflowBundle: { codePath: WORKFLOW_BUNDLE_PATH },
    });
    running = worker.run();
  };
  const stopWorker = async () => {
    if (worker?.getState() === 'RUNNING') worker.shutdown();
    await running;
    worker = null;
  };
  await startWorker();
  const connection = await Connection.connect({ address: TEMPORAL_ADDRESS });
  // As the API's client: its calls carry the caller's trace (a no-op unless a suite installs tracing).
  const client = new Client({ connection, interceptors: TRACING_CLIENT_INTERCEPTORS });
  return {
    client,
    taskQueue,
    stopWorker,
    startWorker,
    close: async () => {
      await stopWorker();
      await closeFenceSessions();
      await connection.close();
      await nativeConnection.close();
    },
  };
}
