import type { MikroORM } from '@mikro-orm/postgresql';
import type { ConnectionLike } from '@temporalio/client';
import type { FastifyInstance } from 'fastify';

/** Longest a shutdown may wait for in-flight requests before the process gives up on them. */
const SHUTDOWN_TIMEOUT_MS = 30_000;

/**
 * Closing the app stops accepting connections, lets in-flight requests finish (Fastify answers new
 * ones on kept-alive sockets with 503), then runs onClose hooks: this one closes what the app used.
 */
export function closeWithApp(app: FastifyInstance, resources: { orm: MikroORM; connection: ConnectionLike }): void {
  app.addHook('onClose', async () => {
    await resources.orm.close();
    await resources.connection.close();
  });
}

export function closeOnSignals(app: FastifyInstance, exit: (code: number) => void = (code) => process.exit(code)): void {
  let closing = false;
  const shutdown = (signal: NodeJS.Signals) => {
    if (closing) return;
    closing = true;
    app.log.info({ signal }, 'shutting down: finishing in-flight requests');
    setTimeout(() => {
      app.log.error(`in-flight requests did not finish within ${SHUTDOWN_TIMEOUT_MS} ms`);
      exit(1);
    }, SHUTDOWN_TIMEOUT_MS).unref();
    app.close().then(() => exit(0), (error: unknown) => {
      app.log.error({ err: error }, 'shutdown failed');
      exit(1);
    });
  };
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
}
