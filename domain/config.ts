import { z } from 'zod';

/**
 * Every setting the worker, the API and the scripts read, validated once at start-up.
 * Defaults describe the local stack that `npm run dev` starts, so a newcomer sets nothing.
 */
const url = z.url();

export const configSchema = z.object({
  DATABASE_URL: url.default('postgres://track15_app@127.0.0.1:5432/track15_dev')
    .describe('PostgreSQL URL the worker and API use; must be a role that does not own the tables, so row-level security applies. Besides its ORM pool, a worker keeps up to 20 sessions for the advisory locks that keep two attempts of one send apart (`activities/attempt-fence.ts`)'),
  DATABASE_OWNER_URL: url.default('postgres://postgres@127.0.0.1:5432/track15_dev')
    .describe('PostgreSQL URL migrations run as (the owner of the tables)'),
  TEMPORAL_ADDRESS: z.string().min(1).default('127.0.0.1:7233').describe('Temporal frontend host:port'),
  TEMPORAL_NAMESPACE: z.string().min(1).default('default').describe('Temporal namespace of the campaign workflows'),
  TEMPORAL_TASK_QUEUE: z.string().min(1).default('track15').describe('Task queue the worker polls'),
  API_HOST: z.string().min(1).default('127.0.0.1').describe('Interface the API listens on'),
  API_PORT: z.coerce.number().int().min(0).max(65535).default(3000).describe('Port the API listens on'),
  PUBLIC_BASE_URL: url.default('http://127.0.0.1:3000').describe('Public URL of the API, used in the links of emails (unsubscribe, give, manage) and where Stripe Checkout returns donors'),
  SENDGRID_API_KEY: z.string().min(1).default('SG.local-development-key').describe('SendGrid API key'),
  SENDGRID_BASE_URL: url.default('http://127.0.0.1:3090').describe('SendGrid API base URL (https://api.sendgrid.com in production; the local sink in development)'),
  SENDGRID_WEBHOOK_PUBLIC_KEY: z.string().min(1).optional()
    .describe('Verification key of the SendGrid Event Webhook (base64, from Mail Settings); unset, the webhook refuses every request'),
  TWILIO_ACCOUNT_SID: z.string().regex(/^AC[0-9a-f]{32}$/, 'must be AC followed by 32 hex digits').default(`AC${'0'.repeat(31)}1`)
    .describe('Twilio account SID texts are sent with (one account serves every client)'),
  TWILIO_AUTH_TOKEN: z.string().min(1).default('local-development-twilio-auth-token')
    .describe('Twilio auth token: authenticates API calls and signs Twilio\'s webhooks (X-Twilio-Signature)'),
  TWILIO_API_BASE: url.default('http://127.0.0.1:3091').describe('Twilio REST API base URL (https://api.twilio.com in production; the local sink in development)'),
  DELIVERY_BATCH_SIZE: z.coerce.number().int().min(1).max(1000).default(1000)
    .describe('Recipients per delivery batch, at most 1,000 (SendGrid\'s personalization limit)'),
  EMAIL_FROM: z.email().default('campaigns@track15.test').describe('Sender address of mail without a client sender identity (campaigns activated before clients had one)'),
  STRIPE_SECRET_KEY: z.string().regex(/^sk_(test|live)_/, 'must start with sk_test_ or sk_live_').default('sk_test_123')
    .describe('Stripe secret key'),
  STRIPE_API_BASE: url.default('http://127.0.0.1:12111').describe('Stripe API base URL (https://api.stripe.com in production; stripe-mock in development)'),
  STRIPE_WEBHOOK_SECRET: z.string().min(1).default('whsec_local_development_secret').describe('Secret that signs Stripe webhooks'),
  TICKET_HOLD_SECONDS: z.coerce.number().int().min(1).max(86_400).default(900)
    .describe('How long a ticket order holds its tickets for payment, in seconds (15 minutes by default); unpaid by then they are released'),
  UNSUBSCRIBE_SIGNING_SECRET: z.string().min(32, 'must be at least 32 characters').default('local-development-unsubscribe-secret-change-me')
    .describe('HMAC secret of the signed links in emails (one-click unsubscribe, give, manage a monthly gift); each kind signs its own purpose, so one never passes for another'),
  METRICS_HOST: z.string().min(1).default('127.0.0.1')
    .describe('Interface the API\'s and the worker\'s Prometheus /metrics endpoints listen on, apart from the public API address'),
  API_METRICS_PORT: z.coerce.number().int().min(0).max(65535).default(9464).describe('Port of the API\'s /metrics endpoint'),
  WORKER_METRICS_PORT: z.coerce.number().int().min(0).max(65535).default(9465)
    .describe('Port of the worker\'s /metrics endpoint (business metrics and the Temporal SDK\'s own)'),
  TEMPORAL_SDK_METRICS_ADDRESS: z.string().regex(/^[^\s:]+:\d{1,5}$/, 'must be host:port').default('127.0.0.1:9466')
    .describe('host:port the Temporal SDK\'s Prometheus exporter binds inside the worker; the worker\'s /metrics includes what it serves'),
  OTEL_EXPORTER_OTLP_ENDPOINT: url.optional()
    .describe('OTLP/HTTP collector base URL traces are exported to (e.g. http://collector:4318); unset, tracing is off'),
  OUTBOUND_WEBHOOKS_ALLOW_PRIVATE: z.stringbool().default(false)
    .describe('true: webhooks a client sets (budget alerts) may be plain http and reach private, loopback and link-local addresses; only for local development and tests, whose receivers listen on 127.0.0.1 (domain/outbound-url.ts)'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info').describe('Log level of the worker and the API'),
});

export type Config = z.infer<typeof configSchema>;

export class ConfigError extends Error {}

/** Parses the environment; a bad variable stops start-up with a message naming it. */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  // An empty variable means "not set", as shells and compose files often export blanks.
  const present = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined && value !== ''));
  const parsed = configSchema.safeParse(present);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((issue) => `  ${issue.path.join('.')}: ${issue.message}`);
  throw new ConfigError(`Invalid configuration:\n${problems.join('\n')}`);
}

/** Variable names with their defaults and meanings, for the README table and the compose check. */
export function describeConfig(): { name: string; defaultValue: string; description: string }[] {
  return Object.entries(configSchema.shape).map(([name, schema]) => ({
    name,
    defaultValue: String(schema.parse(undefined) ?? ''),
    description: schema.description ?? '',
  }));
}
