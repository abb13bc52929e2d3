import type { MikroORM } from '@mikro-orm/postgresql';
import type { ActivityDeps } from '../../activities';
import { Agent } from 'node:http';
import { createSendGrid } from '../../activities/email/sendgrid';
import { createStripe } from '../../activities/payments/stripe';
import { createTwilio } from '../../activities/sms/twilio';
import { openOrm } from '../../domain/db/orm';
import { type LifecycleDeps, activateCampaign } from '../../workflows/campaigns/lifecycle';
import { campaignWorkflowId } from '../../domain/campaigns/workflow-contract';
import { SendGridSink } from '../fakes/sendgrid-sink';
import { TEST_ACCOUNT_SID, TEST_AUTH_TOKEN, TwilioSink } from '../fakes/twilio-sink';
import { type TestDatabase, createTestDatabase } from './database';
import { Fixtures } from './fixtures';
import { type TemporalHarness, startTemporalHarness } from './temporal';

export const UNSUBSCRIBE_SECRET = 'test-unsubscribe-secret-of-at-least-32-chars';
export const PUBLIC_BASE_URL = 'http://127.0.0.1:3999';
/** EMAIL_FROM of the harness's worker (and of the API harness). */
export const SENDER_FALLBACK = 'campaigns@track15.test';

/** Everything a campaign workflow test needs: its own database, the sink, a worker on its own task queue. */
export interface CampaignHarness {
  db: TestDatabase;
  fixtures: Fixtures;
  sink: SendGridSink;
  /** Where the worker's texts go. */
  twilioSink: TwilioSink;
  orm: MikroORM;
  temporal: TemporalHarness;
  /** What the worker's activities were built with (to start a replacement worker). */
  activityDeps: ActivityDeps;
  lifecycle: LifecycleDeps;
  activate(clientId: string, campaignId: string): ReturnType<typeof activateCampaign>;
  result(campaignId: string): Promise<unknown>;
  close(): Promise<void>;
}

/** `allowPrivateWebhooks`: the worker may call webhooks at http and 127.0.0.1 (OUTBOUND_WEBHOOKS_ALLOW_PRIVATE), where tests' receivers listen. */
export async function startCampaignHarness(
  options: Pick<ActivityDeps, 'batchSize' | 'budgetAlertRetry' | 'clock' | 'unknownRefundWaitsMs'> & { allowPrivateWebhooks?: boolean } = {},
): Promise<CampaignHarness> {
  const db = await createTestDatabase();
  const fixtures = new Fixtures(db.ownerUrl);
  const sink = await SendGridSink.start();
  const twilioSink = await TwilioSink.start();
  const orm = await openOrm(db.appUrl);
  // Kept-alive sockets to stripe-mock would hold the jest worker open after the suite.
  const stripeAgent = new Agent({ keepAlive: true });
  const activityDeps: ActivityDeps = {
    stripe: createStripe({ secretKey: 'sk_test_123', apiBase: process.env.STRIPE_API_BASE ?? 'http://127.0.0.1:12121', httpAgent: stripeAgent }),
    orm,
    sendgrid: createSendGrid('SG.test-key', sink.url),
    twilio: createTwilio(TEST_ACCOUNT_SID, TEST_AUTH_TOKEN, twilioSink.url),
    from: SENDER_FALLBACK,
    publicBaseUrl: PUBLIC_BASE_URL,
    unsubscribeSecret: UNSUBSCRIBE_SECRET,
    batchSize: options.batchSize ?? 50,
    // A refund of an intent nobody knows waits for its payment: well under a second here, days in production.
    unknownRefundWaitsMs: options.unknownRefundWaitsMs ?? [100, 200, 400],
    ...(options.budgetAlertRetry ? { budgetAlertRetry: options.budgetAlertRetry } : {}),
    ...(options.clock ? { clock: options.clock } : {}),
    outbound: { allowPrivate: options.allowPrivateWebhooks ?? false },
  };
  const temporal = await startTemporalHarness(activityDeps);
  const lifecycle: LifecycleDeps = { orm, temporal: temporal.client, taskQueue: temporal.taskQueue };
  return {
    db, fixtures, sink, twilioSink, orm, temporal, lifecycle, activityDeps,
    activate: (clientId, campaignId) => activateCampaign(lifecycle, clientId, campaignId),
    result: (campaignId) => temporal.client.workflow.getHandle(campaignWorkflowId(campaignId)).result(),
    close: async () => {
      await temporal.close();
      stripeAgent.destroy();
      await orm.close();
      await sink.stop();
      await twilioSink.stop();
      await fixtures.close();
      await db.drop();
    },
  };
}

/** Polls until `check` returns a value (not undefined), or fails after `timeoutMs`. */
export async function eventually<T>(check: () => Promise<T | undefined>, timeoutMs = 30_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
