import { createServer } from 'node:net';

/** A free TCP port on 127.0.0.1, as the kernel hands one out. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/**
 * Metrics addresses of their own for a worker process a test starts: the defaults (9465, 9466) are one
 * machine-wide pair, so two suites each running a worker would make the second fail to start.
 */
export async function workerMetricsEnv(): Promise<Record<string, string>> {
  return { WORKER_METRICS_PORT: String(await freePort()), TEMPORAL_SDK_METRICS_ADDRESS: `127.0.0.1:${await freePort()}` };
}
