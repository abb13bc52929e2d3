import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface MetricsServer {
  /** http://host:port of the listening server (the port is the one bound, when 0 was asked). */
  url: string;
  close(): Promise<void>;
}

/**
 * Serves `GET /metrics` (Prometheus text exposition 0.0.4) on an address of its own, apart from the
 * public API: METRICS_HOST (loopback by default) and a port per process (domain/config.ts). Anything
 * else answers 404; a failing collection answers 503 so Prometheus marks the scrape down, not empty.
 */
export async function startMetricsServer(options: { host: string; port: number; exposition: () => Promise<string> }): Promise<MetricsServer> {
  const server: Server = createServer((request, response) => {
    if (request.method !== 'GET' || request.url?.split('?')[0] !== '/metrics') {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('not found: metrics are at GET /metrics\n');
      return;
    }
    options.exposition().then(
      (text) => response.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' }).end(text),
      (error: unknown) => response.writeHead(503, { 'content-type': 'text/plain', 'retry-after': '5' })
        .end(`metrics unavailable: ${error instanceof Error ? error.message : String(error)}\n`),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, resolve);
  });
  const { address, port } = server.address() as AddressInfo;
  return {
    url: `http://${address.includes(':') ? `[${address}]` : address}:${port}`,
    close: () => new Promise((resolve, reject) => {
      server.close((error) => (error ? reject(error) : resolve()));
      server.closeAllConnections();
    }),
  };
}
