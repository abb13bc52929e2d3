/** `npm run api`: the API on API_HOST:API_PORT, until SIGINT or SIGTERM. */
import { Client, Connection } from '@temporalio/client';
import { createStripe } from '../activities/stripe';
import { loadConfig } from '../domain/config';
import { openOrm } from '../domain/db/orm';
import { buildApp } from './app';
import { closeOnSignals, closeWithApp } from './shutdown';

async function main(): Promise<void> {
  const config = loadConfig();
  const orm = await openOrm(config.DATABASE_URL);
  const connection = await Connection.connect({ address: config.TEMPORAL_ADDRESS });
  const temporal = new Client({ connection, namespace: config.TEMPORAL_NAMESPACE });
  const stripe = createStripe({ secretKey: config.STRIPE_SECRET_KEY, apiBase: config.STRIPE_API_BASE });
  const app = await buildApp({ orm, temporal, stripe, config });
  closeWithApp(app, { orm, connection });
  closeOnSignals(app);
  await app.listen({ host: config.API_HOST, port: config.API_PORT });
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
