import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import { type TestDatabase, createTestDatabase } from './support/database';
import { eventually } from './support/campaign-harness';
import { TEMPORAL_ADDRESS } from './support/temporal';
import { freePort } from './support/ports';

const run = promisify(execFile);
const ROOT = join(__dirname, '..');
/** Inside the checkout (so the compiled files resolve node_modules), in the ignored .stack directory. */
const OUT = join(ROOT, '.stack', `build-test-${process.pid}`);


/**
 * What the production image runs (Dockerfile): `npm run build`'s two steps (tsc to JavaScript, then the
 * workflow bundle made once), then the compiled worker with that bundle and the compiled API, each
 * passing the image's health check. There is no Docker engine where CI runs, so this is the image's test.
 */
describe('the production build', () => {
  let db: TestDatabase;
  const processes: ChildProcess[] = [];
  let output = '';

  const start = (entry: string, env: Record<string, string>) => {
    const child = spawn(process.execPath, [join(OUT, entry)], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout?.on('data', (chunk) => { output += chunk; });
    child.stderr?.on('data', (chunk) => { output += chunk; });
    processes.push(child);
    return child;
  };
  const healthy = (target: string, env: Record<string, string>) =>
    run(process.execPath, [join(OUT, 'scripts/healthcheck.js'), target], { env: { ...process.env, ...env } }).then(() => true, () => undefined);

  beforeAll(async () => {
    db = await createTestDatabase();
    await run(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', join(ROOT, 'tsconfig.build.json'), '--outDir', OUT], { cwd: ROOT });
    await run(process.execPath, [join(OUT, 'scripts/bundle-workflows.js')], { cwd: ROOT });
  }, 300_000);

  afterAll(async () => {
    for (const child of processes) child.kill('SIGKILL');
    await db?.drop();
    await rm(OUT, { recursive: true, force: true });
  });

  it('compiles every entry point the image runs, and bundles the workflows beside the worker', () => {
    for (const entry of ['api/server.js', 'workflows/worker.js', 'scripts/migrate.js', 'scripts/healthcheck.js', 'workflows/workflow-bundle.js']) {
      expect([entry, existsSync(join(OUT, entry))]).toEqual([entry, true]);
    }
  });

  it('runs the compiled worker on the prebuilt bundle and the compiled API, each passing its health check', async () => {
    const taskQueue = `build-${randomBytes(4).toString('hex')}`;
    const env = {
      DATABASE_URL: db.appUrl, TEMPORAL_ADDRESS, TEMPORAL_TASK_QUEUE: taskQueue, LOG_LEVEL: 'info', METRICS_HOST: '127.0.0.1',
      API_HOST: '127.0.0.1', API_PORT: String(await freePort()), API_METRICS_PORT: String(await freePort()),
      WORKER_METRICS_PORT: String(await freePort()), TEMPORAL_SDK_METRICS_ADDRESS: `127.0.0.1:${await freePort()}`,
    };
    const worker = start('workflows/worker.js', env);
    await eventually(() => healthy('worker', env), 60_000, `the compiled worker's health check (output: ${output})`);
    // A workflow from the prebuilt bundle runs to its end: the nightly RFM run, over no clients.
    const connection = await Connection.connect({ address: TEMPORAL_ADDRESS });
    try {
      const result = await new Client({ connection }).workflow.execute('rfmNightlyWorkflow', { taskQueue, workflowId: `rfm-${taskQueue}` });
      expect(result).toEqual({ clients: 0, donorsChanged: 0 });
    } finally {
      await connection.close();
    }
    expect(output).toMatch(/"msg":"worker polling"/);
    expect(output).not.toMatch(/bundl/i); // it used the bundle made at build time instead of webpacking one

    const api = start('api/server.js', env);
    await eventually(() => healthy('api', env), 60_000, `the compiled API's health check (output: ${output})`);
    for (const child of [api, worker]) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
  }, 180_000);
});
