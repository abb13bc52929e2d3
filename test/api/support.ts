import { createHash, randomBytes } from 'node:crypto';
import { Agent } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { MikroORM } from '@mikro-orm/postgresql';
import { Client, Connection } from '@temporalio/client';
import type { Logger } from 'pino';
import type Stripe from 'stripe';
import { createStripe } from '../../activities/payments/stripe';
import { type App, buildApp } from '../../api/app';
import type { RateLimitOptions } from '../../api/plugins/rate-limit';
import { openOrm } from '../../domain/db/orm';
import { type TestDatabase, createTestDatabase } from '../support/database';
import { PUBLIC_BASE_URL, SENDER_FALLBACK, UNSUBSCRIBE_SECRET } from '../support/campaign-harness';
import { Fixtures } from '../support/fixtures';
import { TEMPORAL_ADDRESS } from '../support/temporal';
import { TEST_ACCOUNT_SID, TEST_AUTH_TOKEN } from '../fakes/twilio-sink';

export interface Request {
  method?: string;
  url: string;
  /** An object is sent as JSON; a string as is (set content-type yourself). */
  payload?: unknown;
  headers?: Record<string, string>;
}

export interface Response {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
  json(): any; // eslint-disable-line @typescript-eslint/no-explicit-any -- tests read whatever shape they asked for
}

export interface ApiHarness {
  app: App;
  /** http://127.0.0.1:<port> of the listening app. */
  baseUrl: string;
  db: TestDatabase;
  fixtures: Fixtures;
  orm: MikroORM;
  operatorKey: string;
  /** Creates a client and a key for it, arranged as the table owner (not through the API under test). */
  client(name?: string): Promise<{ id: string; key: string }>;
  /** A request without a key. */
  request(options: Request): Promise<Response>;
  /** A request with `Authorization: Bearer <key>`. */
  call(key: string, options: Request): Promise<Response>;
  close(): Promise<void>;
}

/** Inserts a key the way the schema stores them (SHA-256 hex), independently of the API's own code. */
export async function insertKey(fixtures: Fixtures, clientId: string | null): Promise<string> {
  const key = `t15_${randomBytes(24).toString('base64url')}`;
  await fixtures.query(
    'insert into api_keys (client_id, role, name, key_prefix, key_hash) values ($1, $2, $3, $4, $5)',
    [clientId, clientId ? 'client' : 'operator', 'test', key.slice(0, 8), createHash('sha256').update(key).digest('hex')],
  );
  return key;
}

export interface HarnessOptions {
  /** An existing Temporal client (with a worker behind it); otherwise a connection without a worker is opened. */
  temporal?: { client: Client; taskQueue: string };
  db?: TestDatabase;
  orm?: MikroORM;
  rateLimit?: RateLimitOptions;
  pageRateLimit?: RateLimitOptions;
  activationRateLimit?: RateLimitOptions;
  /** Stripe through a test's fault-injecting proxy; stripe-mock otherwise. */
  stripe?: Stripe;
  /** The SendGrid Event Webhook's verification key (base64 DER). */
  sendgridPublicKey?: string;
  /** How long ticket orders hold their tickets, in seconds (TICKET_HOLD_SECONDS; 900 by default). */
  ticketHoldSeconds?: number;
  /** OUTBOUND_WEBHOOKS_ALLOW_PRIVATE: webhook URLs may be http and private addresses (false by default, as in production). */
  allowPrivateWebhooks?: boolean;
  /** Where the app logs; nowhere by default. */
  logger?: Logger;
}

export const STRIPE_WEBHOOK_SECRET = 'whsec_test_webhook_secret';
/** The stripe-mock `npm test` starts (scripts/test.sh). */
export const STRIPE_MOCK_URL = process.env.STRIPE_API_BASE ?? 'http://127.0.0.1:12121';

/** The app on a fresh database, as the application role (row-level security applies). */
export async function startApi(options: HarnessOptions = {}): Promise<ApiHarness> {
  const db = options.db ?? await createTestDatabase();
  const fixtures = new Fixtures(db.ownerUrl);
  const orm = options.orm ?? await openOrm(db.appUrl);
  const connection = options.temporal ? undefined : await Connection.connect({ address: TEMPORAL_ADDRESS });
  const temporal = options.temporal?.client ?? new Client({ connection });
  // Kept-alive sockets to stripe-mock would hold the jest worker open after the suite.
  const stripeAgent = new Agent({ keepAlive: true });
  const app = await buildApp({
    orm, temporal, logger: options.logger ?? false, docsUi: false,
    stripe: options.stripe ?? createStripe({ secretKey: 'sk_test_123', apiBase: STRIPE_MOCK_URL, httpAgent: stripeAgent }),
    config: {
      TEMPORAL_TASK_QUEUE: options.temporal?.taskQueue ?? 'no-worker', LOG_LEVEL: 'silent',
      STRIPE_WEBHOOK_SECRET, SENDGRID_WEBHOOK_PUBLIC_KEY: options.sendgridPublicKey, UNSUBSCRIBE_SIGNING_SECRET: UNSUBSCRIBE_SECRET,
      // As the campaign harness's worker is configured, so a preview renders what its sends carry.
      PUBLIC_BASE_URL, EMAIL_FROM: SENDER_FALLBACK, TICKET_HOLD_SECONDS: options.ticketHoldSeconds ?? 900,
      // The Twilio sink's credentials: the texts it posts are signed with this token.
      TWILIO_ACCOUNT_SID: TEST_ACCOUNT_SID, TWILIO_AUTH_TOKEN: TEST_AUTH_TOKEN,
      OUTBOUND_WEBHOOKS_ALLOW_PRIVATE: options.allowPrivateWebhooks ?? false,
    },
    rateLimit: options.rateLimit ?? { max: 100_000, timeWindowMs: 60_000 },
    pageRateLimit: options.pageRateLimit ?? { max: 100_000, timeWindowMs: 60_000 },
    activationRateLimit: options.activationRateLimit ?? { max: 100_000, timeWindowMs: 60_000 },
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const baseUrl = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  const request = (options: Request) => send(baseUrl, options);
  const operatorKey = await insertKey(fixtures, null);
  return {
    app, baseUrl, db, fixtures, orm, operatorKey, request,
    client: async (name = 'Client') => {
      const id = await fixtures.client(name);
      return { id, key: await insertKey(fixtures, id) };
    },
    call: (key, options) => request({ ...options, headers: { authorization: `Bearer ${key}`, ...options.headers } }),
    close: async () => {
      await app.close();
      stripeAgent.destroy();
      if (!options.orm) await orm.close();
      await connection?.close();
      await fixtures.close();
      if (!options.db) await db.drop();
    },
  };
}

/**
 * Real HTTP rather than Fastify's inject(): inject's request library needs an ESM-only package that
 * jest's CommonJS loader cannot require, and going through a socket tests what clients see anyway.
 */
export async function send(baseUrl: string, { method = 'GET', url, payload, headers = {} }: Request): Promise<Response> {
  const isText = typeof payload === 'string';
  const response = await fetch(`${baseUrl}${url}`, {
    method,
    headers: payload === undefined || isText ? headers : { 'content-type': 'application/json', ...headers },
    body: payload === undefined ? undefined : isText ? payload : JSON.stringify(payload),
    // A redirect (the give page's 303 to Stripe Checkout) is what the test checks, not where it leads.
    redirect: 'manual',
  });
  const body = await response.text();
  return {
    statusCode: response.status,
    headers: Object.fromEntries(response.headers.entries()),
    body,
    json: () => JSON.parse(body),
  };
}

/**
 * A fingerprint of every row the API could change. api_keys.last_used_at is left out: authenticating
 * a request records its use, which is not a change a refused request is blamed for.
 */
export async function databaseFingerprint(fixtures: Fixtures): Promise<string> {
  const tables = await fixtures.query<{ table_name: string }>(
    `select table_name from information_schema.tables where table_schema = 'public' and table_type = 'BASE TABLE'
        and table_name not like 'mikro_orm%' order by table_name`);
  const parts: string[] = [];
  for (const { table_name: table } of tables) {
    const row = table === 'api_keys' ? `(t.id, t.client_id, t.role, t.name, t.key_hash, t.revoked_at)::text` : 't::text';
    const [{ digest }] = await fixtures.query<{ digest: string }>(
      `select md5(coalesce(string_agg(${row}, '|' order by ${row}), '')) as digest from "${table}" t`);
    parts.push(`${table}:${digest}`);
  }
  return parts.join('\n');
}

export const STORY = {
  headline: 'Feed 500 Families This Spring',
  summary: 'Every $50 provides a week of groceries.',
  value_proposition: 'Your $50 gift provides measurable impact.',
  donor_motivation: 'Because every child deserves a full stomach.',
};
