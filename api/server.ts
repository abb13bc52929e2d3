/**
 * `npm run api`: the API on API_HOST:API_PORT and its Prometheus metrics on METRICS_HOST:API_METRICS_PORT,
 * until SIGINT or SIGTERM. Traces go over OTLP when OTEL_EXPORTER_OTLP_ENDPOINT is set.
 */
import { Client, Connection } from '@temporalio/client';
import { collectDefaultMetrics } from 'prom-client';
import { createStripe } from '../activities/payments/stripe';
import { loadConfig } from '../domain/config';
import { openOrm } from '../domain/db/orm';
import { createLogger } from '../domain/telemetry/logger';
import { startMetricsServer } from '../domain/telemetry/metrics-server';
import { metricsRegistry } from '../domain/telemetry/registry';
import { TRACING_CLIENT_INTERCEPTORS, startTracing } from '../domain/telemetry/tracing';
import { buildApp } from './app';
import { closeOnSignals, closeWithApp } from './shutdown';

async function main(): Promise<void> {
  const config = loadConfig();
  const tracing = startTracing('track15-api', { otlpEndpoint: config.OTEL_EXPORTER_OTLP_ENDPOINT });
  const logger = createLogger({ level: config.LOG_LEVEL, service: 'api' });
  collectDefaultMetrics({ register: metricsRegistry });
  const orm = await openOrm(config.DATABASE_URL);
  const connection = await Connection.connect({ address: config.TEMPORAL_ADDRESS });
  const temporal = new Client({ connection, namespace: config.TEMPORAL_NAMESPACE, interceptors: TRACING_CLIENT_INTERCEPTORS });
  const stripe = createStripe({ secretKey: config.STRIPE_SECRET_KEY, apiBase: config.STRIPE_API_BASE });
  const app = await buildApp({ orm, temporal, stripe, config, logger });
  const metrics = await startMetricsServer({ host: config.METRICS_HOST, port: config.API_METRICS_PORT, exposition: () => metricsRegistry.metrics() });
  app.addHook('onClose', async () => {
    await metrics.close();
    await tracing.shutdown();
  });
  closeWithApp(app, { orm, connection });
  closeOnSignals(app);
  await app.listen({ host: config.API_HOST, port: config.API_PORT });
  logger.info({ metrics: `${metrics.url}/metrics` }, 'metrics endpoint listening');
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
