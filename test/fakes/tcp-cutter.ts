import { type Server, type Socket, connect, createServer } from 'node:net';
import type { AddressInfo } from 'node:net';

/**
 * A TCP relay in front of a real server (the Temporal frontend) that a test can cut: every open
 * connection is destroyed and new ones are refused, as when a worker loses its network path to one
 * service but not to the others.
 */
export class TcpCutter {
  private constructor(private readonly server: Server, private readonly sockets: Set<Socket>, readonly address: string) {}

  /** Relays 127.0.0.1:<port> to `target` (host:port). */
  static async start(target: string): Promise<TcpCutter> {
    const [host, port] = [target.slice(0, target.lastIndexOf(':')), Number(target.slice(target.lastIndexOf(':') + 1))];
    const sockets = new Set<Socket>();
    const server = createServer((inbound) => {
      const outbound = connect(port, host);
      for (const socket of [inbound, outbound]) {
        sockets.add(socket);
        socket.on('close', () => sockets.delete(socket));
        socket.on('error', () => { inbound.destroy(); outbound.destroy(); });
      }
      inbound.pipe(outbound).pipe(inbound);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return new TcpCutter(server, sockets, `127.0.0.1:${(server.address() as AddressInfo).port}`);
  }

  /** Destroys every relayed connection and refuses new ones from now on. */
  async cut(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const socket of this.sockets) socket.destroy();
    await closed;
  }

  /**
   * Stops relaying for good: a cut, unless one holds already. A relay left listening (restored and never
   * closed) keeps its jest worker alive after the run, until jest kills it ("failed to exit gracefully").
   */
  async close(): Promise<void> {
    if (this.server.listening) await this.cut();
  }

  /** Relays again, on the same address, after a cut: the network path is back. */
  async restore(): Promise<void> {
    const port = Number(this.address.slice(this.address.lastIndexOf(':') + 1));
    await new Promise<void>((resolve) => this.server.listen(port, '127.0.0.1', resolve));
  }
}
