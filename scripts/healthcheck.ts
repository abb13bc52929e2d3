/**
 * The image's HEALTHCHECK: `node dist/scripts/healthcheck.js api|worker` exits 0 when the process answers
 * on its own address: the API's `GET /health` on API_PORT, the worker's `GET /metrics` on
 * WORKER_METRICS_PORT (served only once its SDK runtime, and so its Temporal exporter, is up). Ports
 * come from the same configuration the process read (domain/config.ts); answers within 4 s.
 */
import { loadConfig } from '../domain/config';

async function main(): Promise<void> {
  const config = loadConfig();
  const target = process.argv[2];
  // Inside the container the process listens on every interface or on the loopback: the loopback reaches both.
  const url = target === 'api' ? `http://127.0.0.1:${config.API_PORT}/health`
    : target === 'worker' ? `http://127.0.0.1:${config.WORKER_METRICS_PORT}/metrics`
      : null;
  if (!url) throw new Error('usage: healthcheck api|worker');
  const response = await fetch(url, { signal: AbortSignal.timeout(4_000) });
  if (!response.ok) throw new Error(`${url} answered ${response.status}`);
}

main().then(() => process.exit(0), (error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
