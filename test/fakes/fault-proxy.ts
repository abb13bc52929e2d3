import { type IncomingMessage, type Server, type ServerResponse, createServer, request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * An HTTP proxy in front of a real server (stripe-mock) that injects the faults a provider's network
 * has: a connection reset before the request arrives, a 500, or an answer that comes too late (the
 * request did reach the server). It records what reached the server, to check idempotency keys.
 */
export type ProxyFault = 'reset' | 'error500' | { slowMs: number };

export interface ProxiedRequest {
  method: string;
  path: string;
  idempotencyKey: string | undefined;
  fault: string | null;
  /** The request body as sent (Stripe's form encoding), to check what the provider was asked for. */
  body: string;
}

export class FaultProxy {
  /** Every request the proxy received, with the fault it got (null when passed through untouched). */
  readonly received: ProxiedRequest[] = [];
  private faults: ProxyFault[] = [];
  private readonly pending = new Set<NodeJS.Timeout>();

  private constructor(private readonly server: Server, readonly url: string, private readonly target: URL) {}

  static async start(target: string): Promise<FaultProxy> {
    const started: { proxy?: FaultProxy } = {};
    const server = createServer((req, res) => { void started.proxy!.handle(req, res); });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    started.proxy = new FaultProxy(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}`, new URL(target));
    return started.proxy;
  }

  /** The next requests get these faults, one each, in order; later ones pass through. */
  failNext(...faults: ProxyFault[]): void { this.faults.push(...faults); }

  /** The requests that reached the server behind the proxy. */
  reachedServer(): ProxiedRequest[] { return this.received.filter((r) => r.fault === null || r.fault === 'slow'); }

  async stop(): Promise<void> {
    for (const timer of this.pending) clearTimeout(timer);
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const fault = this.faults.shift();
    const record: ProxiedRequest = {
      method: req.method ?? 'GET', path: req.url ?? '/', idempotencyKey: req.headers['idempotency-key'] as string | undefined,
      fault: fault === undefined ? null : typeof fault === 'string' ? fault : 'slow',
      body: Buffer.concat(chunks).toString('utf8'),
    };
    this.received.push(record);
    if (fault === 'reset') { req.socket.destroy(); return; }
    if (fault === 'error500') {
      res.writeHead(500, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { type: 'api_error', message: 'injected failure' } }));
      return;
    }
    const answer = await this.forward(req, Buffer.concat(chunks));
    const reply = () => { if (!res.destroyed) res.writeHead(answer.status, answer.headers).end(answer.body); };
    if (typeof fault === 'object') {
      const timer = setTimeout(() => { this.pending.delete(timer); reply(); }, fault.slowMs);
      this.pending.add(timer);
    } else reply();
  }

  private forward(req: IncomingMessage, body: Buffer): Promise<{ status: number; headers: Record<string, string | string[]>; body: Buffer }> {
    return new Promise((resolve, reject) => {
      const upstream = httpRequest({
        host: this.target.hostname, port: this.target.port, method: req.method, path: req.url,
        headers: { ...req.headers, host: this.target.host, connection: 'close' },
      }, (response) => {
        const parts: Buffer[] = [];
        response.on('data', (chunk: Buffer) => parts.push(chunk));
        response.on('end', () => {
          const headers = Object.fromEntries(Object.entries(response.headers).filter(([name, value]) => value !== undefined && name !== 'connection' && name !== 'transfer-encoding')) as Record<string, string | string[]>;
          resolve({ status: response.statusCode ?? 502, headers, body: Buffer.concat(parts) });
        });
      });
      upstream.on('error', reject);
      upstream.end(body);
    });
  }
}
