/**
 * `npm run worker`: polls the campaign task queue, running the workflows (bundled from ./index) and the
 * activities (bound to PostgreSQL and SendGrid). SIGINT/SIGTERM drain in-flight tasks, then close.
 */
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import { type ActivityDeps, createActivities } from '../activities';
import { createSendGrid } from '../activities/sendgrid';
import { type Config, loadConfig } from '../domain/config';
import { openOrm } from '../domain/db/orm';
import { ensureRfmSchedule } from './schedules';

export async function createWorker(
  connection: NativeConnection,
  config: Pick<Config, 'TEMPORAL_NAMESPACE' | 'TEMPORAL_TASK_QUEUE'>,
  deps: ActivityDeps,
  options: Partial<WorkerOptions> = {},
): Promise<Worker> {
  return Worker.create({
    connection,
    namespace: config.TEMPORAL_NAMESPACE,
    taskQueue: config.TEMPORAL_TASK_QUEUE,
    ...(options.workflowBundle ? {} : { workflowsPath: require.resolve('./index') }),
    activities: createActivities(deps),
    ...options,
  });
}

export function activityDepsFromConfig(config: Config, orm: ActivityDeps['orm']): ActivityDeps {
  return {
    orm,
    sendgrid: createSendGrid(config.SENDGRID_API_KEY, config.SENDGRID_BASE_URL),
    from: config.EMAIL_FROM,
    publicBaseUrl: config.PUBLIC_BASE_URL,
    unsubscribeSecret: config.UNSUBSCRIBE_SIGNING_SECRET,
    marketingGroupId: config.SENDGRID_MARKETING_GROUP_ID,
    batchSize: config.DELIVERY_BATCH_SIZE,
  };
}

async function main(): Promise<void> {
  const config = loadConfig();
  const orm = await openOrm(config.DATABASE_URL);
  const connection = await NativeConnection.connect({ address: config.TEMPORAL_ADDRESS });
  try {
    const clientConnection = await Connection.connect({ address: config.TEMPORAL_ADDRESS });
    await ensureRfmSchedule(new Client({ connection: clientConnection, namespace: config.TEMPORAL_NAMESPACE }), config.TEMPORAL_TASK_QUEUE)
      .finally(() => clientConnection.close());
    const worker = await createWorker(connection, config, activityDepsFromConfig(config, orm));
    console.log(`worker polling task queue '${config.TEMPORAL_TASK_QUEUE}' on ${config.TEMPORAL_ADDRESS}`);
    await worker.run();
  } finally {
    await connection.close();
    await orm.close();
  }
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  });
}
