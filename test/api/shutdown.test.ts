import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { type TestDatabase, createTestDatabase } from '../support/database';
import { eventually } from '../support/campaign-harness';
import { Fixtures } from '../support/fixtures';
import { TEMPORAL_ADDRESS } from '../support/temporal';
import { insertKey, send } from './support';
import { freePort } from '../support/ports';


/** `npm run api` as a real process: it serves the docs UI, and on SIGTERM finishes in-flight requests before exiting. */
describe('the API server process', () => {
  let db: TestDatabase;
  let fixtures: Fixtures;
  let server: ChildProcess | undefined;
  let output = '';

  beforeAll(async () => {
    db = await createTestDatabase();
    fixtures = new Fixtures(db.ownerUrl);
  });
  afterAll(async () => {
    server?.kill('SIGKILL');
    await fixtures.close();
    await db.drop();
  });

  it('serves, then shuts down gracefully: the in-flight request completes, the process exits 0', async () => {
    const port = await freePort();
    const metricsPort = await freePort();
    const baseUrl = `http://127.0.0.1:${port}`;
    server = spawn(process.execPath, ['--import', 'tsx', join(__dirname, '../../api/server.ts')], {
      env: { ...process.env, DATABASE_URL: db.appUrl, TEMPORAL_ADDRESS, API_HOST: '127.0.0.1', API_PORT: String(port), LOG_LEVEL: 'warn',
        METRICS_HOST: '127.0.0.1', API_METRICS_PORT: String(metricsPort) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    server.stdout?.on('data', (chunk) => { output += chunk; });
    server.stderr?.on('data', (chunk) => { output += chunk; });
    const exited = new Promise<number | null>((resolve) => server?.on('exit', resolve));

    await eventually(() => send(baseUrl, { url: '/health' }).then((r) => (r.statusCode === 200 ? true : undefined), () => undefined), 30_000, 'the server to listen');
    const docs = await send(baseUrl, { url: '/docs' });
    expect(docs.statusCode).toBe(200);
    expect(docs.body).toMatch(/swagger/i);
    // Metrics on their own port, with the process's own figures; not on the public one.
    expect((await send(baseUrl, { url: '/metrics' })).statusCode).toBe(404);
    const metrics = await send(`http://127.0.0.1:${metricsPort}`, { url: '/metrics' });
    expect(metrics.body).toMatch(/^http_requests_total\{method="GET",route="\/docs",status="200"\} 1$/m);
    expect(metrics.body).toMatch(/^process_cpu_seconds_total /m);

    const clientId = await fixtures.client('Shutdown');
    const key = await insertKey(fixtures, clientId);
    const campaignId = await fixtures.track15Campaign(clientId);
    // Hold the campaign row so the update below stays in flight until we let go.
    const lock = await fixtures.pool.connect();
    await lock.query('begin');
    await lock.query('select 1 from campaigns where id = $1 for update', [campaignId]);
    const inFlight = send(baseUrl, {
      method: 'PATCH', url: `/v1/clients/${clientId}/campaigns/${campaignId}`, payload: { name: 'Renamed during shutdown' },
      headers: { authorization: `Bearer ${key}` },
    });
    await eventually(async () => {
      const waiting = await fixtures.query(`select 1 from pg_stat_activity where datname = $1 and wait_event_type = 'Lock'`, [db.name]);
      return waiting.length > 0 ? true : undefined;
    }, 10_000, 'the update to wait on the lock');

    server.kill('SIGTERM');
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(server.exitCode).toBeNull();
    await lock.query('commit');
    lock.release();

    const response = await inFlight;
    expect(response.statusCode).toBe(200);
    expect(response.json().name).toBe('Renamed during shutdown');
    expect(await exited).toBe(0);
    expect(output).not.toMatch(/error/i);
  }, 60_000);
});
