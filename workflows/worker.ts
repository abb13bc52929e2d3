/**
 * `npm run worker`: polls the campaign task queue, running the workflows (bundled from ./index) and the
 * activities (bound to PostgreSQL and SendGrid). SIGINT/SIGTERM drain in-flight tasks, then close.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import {
  OpenTelemetryActivityInboundInterceptor, OpenTelemetryActivityOutboundInterceptor, makeWorkflowExporter,
} from '@temporalio/interceptors-opentelemetry';
import { NativeConnection, Runtime, Worker, type BundleOptions, type WorkerOptions } from '@temporalio/worker';
import { collectDefaultMetrics } from 'prom-client';
import type { Logger } from 'pino';
import { type ActivityDeps, createActivities } from '../activities';
import { closeFenceSessions } from '../activities/attempt-fence';
import { createSendGrid } from '../activities/email/sendgrid';
import { createStripe } from '../activities/payments/stripe';
import { createTwilio } from '../activities/sms/twilio';
import { type Config, loadConfig } from '../domain/config';
import { openOrm } from '../domain/db/orm';
import { createLogger, temporalLogger } from '../domain/telemetry/logger';
import { startMetricsServer } from '../domain/telemetry/metrics-server';
import { metricsRegistry } from '../domain/telemetry/registry';
import { TRACING_CLIENT_INTERCEPTORS, currentTracing, startTracing } from '../domain/telemetry/tracing';
import { ensureJourneyLapseSchedule, ensureRfmSchedule } from './schedules';

/**
 * What the workflow bundle is made of: the workflows and OpenTelemetry's workflow interceptors (they
 * continue the trace of whoever started the workflow and pass it on to activities and children). The
 * same list for the worker bundling at start-up, the test run's bundle and the production image's
 * (scripts/bundle-workflows.ts).
 */
export const workflowBundleOptions = (): Pick<BundleOptions, 'workflowsPath' | 'workflowInterceptorModules'> => ({
  workflowsPath: require.resolve('./index'),
  workflowInterceptorModules: [require.resolve('@temporalio/interceptors-opentelemetry/lib/workflow-interceptors')],
});

/** Where `npm run build` puts the workflow bundle: beside the compiled worker (dist/workflows/). */
export const PREBUILT_WORKFLOW_BUNDLE = join(__dirname, 'workflow-bundle.js');

/**
 * A worker on the task queue. Activities run inside a span continuing the workflow's trace; spans made
 * in the workflow sandbox leave through the `exporter` sink to the process's tracing (currentTracing()).
 */
export async function createWorker(
  connection: NativeConnection,
  config: Pick<Config, 'TEMPORAL_NAMESPACE' | 'TEMPORAL_TASK_QUEUE'>,
  deps: ActivityDeps,
  options: Partial<WorkerOptions> = {},
): Promise<Worker> {
  const tracing = currentTracing();
  const bundle = workflowBundleOptions();
  return Worker.create({
    connection,
    namespace: config.TEMPORAL_NAMESPACE,
    taskQueue: config.TEMPORAL_TASK_QUEUE,
    activities: createActivities(deps),
    interceptors: {
      // A prebuilt bundle already holds the workflow interceptors.
      ...(options.workflowBundle ? {} : { workflowModules: bundle.workflowInterceptorModules }),
      activity: [(ctx) => ({ inbound: new OpenTelemetryActivityInboundInterceptor(ctx), outbound: new OpenTelemetryActivityOutboundInterceptor(ctx) })],
    },
    sinks: { exporter: makeWorkflowExporter(tracing.spanProcessor, tracing.resource) },
    ...(options.workflowBundle ? {} : { workflowsPath: bundle.workflowsPath }),
    ...options,
  });
}

export function activityDepsFromConfig(config: Config, orm: ActivityDeps['orm']): ActivityDeps {
  return {
    orm,
    sendgrid: createSendGrid(config.SENDGRID_API_KEY, config.SENDGRID_BASE_URL),
    stripe: createStripe({ secretKey: config.STRIPE_SECRET_KEY, apiBase: config.STRIPE_API_BASE }),
    twilio: createTwilio(config.TWILIO_ACCOUNT_SID, config.TWILIO_AUTH_TOKEN, config.TWILIO_API_BASE),
    from: config.EMAIL_FROM,
    publicBaseUrl: config.PUBLIC_BASE_URL,
    unsubscribeSecret: config.UNSUBSCRIBE_SIGNING_SECRET,
    batchSize: config.DELIVERY_BATCH_SIZE,
    outbound: { allowPrivate: config.OUTBOUND_WEBHOOKS_ALLOW_PRIVATE },
  };
}

/**
 * Installs the Temporal SDK's runtime, once per process and before any connection: its logs (and Core's)
 * go to `logger`, its metrics (task latencies, schedule-to-start, sticky cache, failures, in seconds) to a
 * Prometheus exporter on `sdkMetricsAddress`, which workerMetricsExposition() includes.
 */
export function installWorkerRuntime(logger: Logger, sdkMetricsAddress: string): void {
  Runtime.install({
    logger: temporalLogger(logger),
    telemetryOptions: {
      logging: { forward: {}, filter: 'WARN' },
      metrics: { prometheus: { bindAddress: sdkMetricsAddress, countersTotalSuffix: true, useSecondsForDurations: true } },
    },
  });
}

/** The worker's /metrics: the product's metrics (metricsRegistry), then the Temporal SDK's exporter's. */
export function workerMetricsExposition(sdkMetricsAddress: string): () => Promise<string> {
  return async () => {
    const sdk = await fetch(`http://${sdkMetricsAddress}/metrics`);
    if (!sdk.ok) throw new Error(`the Temporal SDK's metrics exporter answered ${sdk.status}`);
    return `${await metricsRegistry.metrics()}\n${await sdk.text()}`;
  };
}

async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger({ level: config.LOG_LEVEL, service: 'worker' });
  installWorkerRuntime(logger, config.TEMPORAL_SDK_METRICS_ADDRESS);
  const tracing = startTracing('track15-worker', { otlpEndpoint: config.OTEL_EXPORTER_OTLP_ENDPOINT });
  collectDefaultMetrics({ register: metricsRegistry });
  const metrics = await startMetricsServer({
    host: config.METRICS_HOST, port: config.WORKER_METRICS_PORT, exposition: workerMetricsExposition(config.TEMPORAL_SDK_METRICS_ADDRESS),
  });
  const orm = await openOrm(config.DATABASE_URL);
  const connection = await NativeConnection.connect({ address: config.TEMPORAL_ADDRESS });
  try {
    const clientConnection = await Connection.connect({ address: config.TEMPORAL_ADDRESS });
    const client = new Client({ connection: clientConnection, namespace: config.TEMPORAL_NAMESPACE, interceptors: TRACING_CLIENT_INTERCEPTORS });
    await Promise.all([ensureRfmSchedule(client, config.TEMPORAL_TASK_QUEUE), ensureJourneyLapseSchedule(client, config.TEMPORAL_TASK_QUEUE)])
      .finally(() => clientConnection.close());
    // The production image runs the compiled worker with the bundle made at build time; tsx bundles at start-up.
    const bundled = existsSync(PREBUILT_WORKFLOW_BUNDLE) ? { workflowBundle: { codePath: PREBUILT_WORKFLOW_BUNDLE } } : {};
    const worker = await createWorker(connection, config, activityDepsFromConfig(config, orm), bundled);
    logger.info({ taskQueue: config.TEMPORAL_TASK_QUEUE, temporal: config.TEMPORAL_ADDRESS, metrics: `${metrics.url}/metrics` }, 'worker polling');
    await worker.run();
  } finally {
    await connection.close();
    await closeFenceSessions();
    await orm.close();
    await metrics.close();
    await tracing.shutdown();
  }
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  });
}
