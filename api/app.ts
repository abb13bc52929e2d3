import type { MikroORM } from '@mikro-orm/postgresql';
import type { Client } from '@temporalio/client';
import Fastify, { type FastifyBaseLogger } from 'fastify';
import type { Logger } from 'pino';
import type Stripe from 'stripe';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { Config } from '../domain/config';
import { createLogger } from '../domain/telemetry/logger';
import authPlugin from './plugins/auth';
import bodyLimitPlugin from './plugins/body-limit';
import emptyBodyPlugin from './plugins/empty-body';
import errorsPlugin from './plugins/errors';
import gracefulClosePlugin from './plugins/graceful-close';
import metricsPlugin from './plugins/metrics';
import tracingPlugin from './plugins/tracing';
import openapiPlugin from './plugins/openapi';
import ormPlugin from './plugins/orm';
import rateLimitPlugin, { type RateLimitOptions } from './plugins/rate-limit';
import audienceRoutes from './routes/audience';
import budgetAlertRoutes, { type BudgetAlertRoutesOptions } from './routes/budget-alerts';
import campaignRoutes from './routes/campaigns/campaigns';
import clientRoutes from './routes/clients';
import contentVersionRoutes from './routes/activation/content-versions';
import donationRoutes from './routes/donations';
import donorImportRoutes from './routes/donors/donor-import';
import donorRoutes from './routes/donors/donors';
import eventRoutes, { type EventRoutesOptions } from './routes/events';
import healthRoutes from './routes/health';
import lifecycleRoutes from './routes/campaigns/lifecycle';
import narrativeRoutes from './routes/campaigns/narrative';
import profileRoutes from './routes/profiles';
import previewRoutes, { type PreviewRoutesOptions } from './routes/previews';
import reportRoutes from './routes/reports';
import { NO_QUERY } from './schemas/common';
import publicPages from './pages';
import unsubscribeRoutes from './routes/unsubscribe';
import webhookRoutes from './routes/webhooks';
import conversationRoutes from './routes/sms/conversations';
import journeyRoutes from './routes/donors/journeys';
import twilioWebhookRoutes from './routes/sms/twilio-webhooks';

export interface AppDeps {
  orm: MikroORM;
  temporal: Client;
  /** Pointed at Stripe, stripe-mock, or a test's fault-injecting proxy. */
  stripe: Stripe;
  config: Pick<Config, 'TEMPORAL_TASK_QUEUE' | 'LOG_LEVEL' | 'STRIPE_WEBHOOK_SECRET' | 'SENDGRID_WEBHOOK_PUBLIC_KEY' | 'UNSUBSCRIBE_SIGNING_SECRET'
    | 'PUBLIC_BASE_URL' | 'EMAIL_FROM' | 'TICKET_HOLD_SECONDS' | 'TWILIO_AUTH_TOKEN' | 'TWILIO_ACCOUNT_SID' | 'OUTBOUND_WEBHOOKS_ALLOW_PRIVATE'>;
  /** Where the API logs (domain/telemetry/logger.ts); false: nowhere. Default: stdout at LOG_LEVEL. */
  logger?: Logger | false;
  rateLimit?: RateLimitOptions;
  /** The public pages' limit per client address (default 60 a minute). */
  pageRateLimit?: RateLimitOptions;
  /** The activation pages' limit per client address (default 30 in 10 minutes). */
  activationRateLimit?: RateLimitOptions;
  /** false serves only the OpenAPI document, not the browsable UI (see plugins/openapi.ts). */
  docsUi?: boolean;
}

const JSON_BODY_LIMIT = 1024 * 1024;
const DEFAULT_RATE_LIMIT: RateLimitOptions = { max: 600, timeWindowMs: 60_000 };
/** A donor opens a page, posts it, maybe goes back once: 60 a minute per address is far above that and far below a scraper. */
const DEFAULT_PAGE_RATE_LIMIT: RateLimitOptions = { max: 60, timeWindowMs: 60_000 };
/**
 * A client opens its activation page, the agreement, posts it, comes back from Stripe and reloads: about
 * ten requests. 30 in 10 minutes per address leaves room for that and makes trying the 10,000 G#### tokens
 * take days from one address.
 */
const DEFAULT_ACTIVATION_RATE_LIMIT: RateLimitOptions = { max: 30, timeWindowMs: 600_000 };

/** The /v1 operations: rate limited, then authenticated, then the routes. */
const v1: FastifyPluginAsyncZod<{ rateLimit: RateLimitOptions } & PreviewRoutesOptions & EventRoutesOptions & BudgetAlertRoutesOptions> = async (app, options) => {
  // An operation without query parameters refuses any, as those with some refuse unknown ones: a
  // mistyped filter must fail, not be ignored while the operation goes ahead.
  app.addHook('onRoute', (route) => {
    if (route.schema && !route.schema.querystring) route.schema.querystring = NO_QUERY;
  });
  await app.register(rateLimitPlugin, options.rateLimit);
  await app.register(authPlugin);
  await app.register(emptyBodyPlugin);
  for (const routes of [clientRoutes, conversationRoutes, journeyRoutes, donorRoutes, donorImportRoutes, donationRoutes, campaignRoutes, audienceRoutes, narrativeRoutes, lifecycleRoutes, reportRoutes, profileRoutes, contentVersionRoutes]) {
    await app.register(routes);
  }
  await app.register(budgetAlertRoutes, { outbound: options.outbound });
  // Previews render as the worker's sends do, so they are given what the worker's composer is given.
  await app.register(previewRoutes, { composer: options.composer });
  await app.register(eventRoutes, { holdSeconds: options.holdSeconds });
};

/**
 * The API as a Fastify instance, not yet listening (fastify/demo style): server.ts listens, tests use
 * inject(). The ORM and the Temporal client belong to the caller, who closes them after the app.
 */
export async function buildApp(deps: AppDeps) {
  const app = Fastify({
    ...(deps.logger === false ? { logger: false } : { loggerInstance: (deps.logger ?? createLogger({ level: deps.config.LOG_LEVEL, service: 'api' })) as FastifyBaseLogger }),
    bodyLimit: JSON_BODY_LIMIT,
    // Signed unsubscribe tokens (two UUIDs, a time and an HMAC) are longer than the default 100.
    routerOptions: { maxParamLength: 500 },
    // Ids in logs and problem responses tie a complaint to its log lines.
    requestIdHeader: false,
  });
  // Only JSON (and CSV where an operation says so): a text/plain body is a wrong content type, 415.
  app.removeContentTypeParser('text/plain');
  // First, so every route's handler runs inside its request's span.
  await app.register(tracingPlugin);
  await app.register(errorsPlugin);
  await app.register(gracefulClosePlugin);
  await app.register(bodyLimitPlugin);
  await app.register(openapiPlugin, { ui: deps.docsUi ?? true });
  await app.register(metricsPlugin);
  await app.register(ormPlugin, { orm: deps.orm, temporal: deps.temporal, stripe: deps.stripe, taskQueue: deps.config.TEMPORAL_TASK_QUEUE });
  await app.register(healthRoutes);
  // Authenticated by provider signatures and signed links, not by API keys.
  await app.register(webhookRoutes, {
    stripeWebhookSecret: deps.config.STRIPE_WEBHOOK_SECRET, sendgridPublicKey: deps.config.SENDGRID_WEBHOOK_PUBLIC_KEY,
  });
  await app.register(twilioWebhookRoutes, {
    authToken: deps.config.TWILIO_AUTH_TOKEN, accountSid: deps.config.TWILIO_ACCOUNT_SID, publicBaseUrl: deps.config.PUBLIC_BASE_URL,
  });
  await app.register(unsubscribeRoutes, { secret: deps.config.UNSUBSCRIBE_SIGNING_SECRET });
  await app.register(publicPages, {
    secret: deps.config.UNSUBSCRIBE_SIGNING_SECRET, publicBaseUrl: deps.config.PUBLIC_BASE_URL,
    rateLimit: deps.pageRateLimit ?? DEFAULT_PAGE_RATE_LIMIT, activationRateLimit: deps.activationRateLimit ?? DEFAULT_ACTIVATION_RATE_LIMIT, secureCookies: deps.config.PUBLIC_BASE_URL.startsWith('https:'),
  });
  await app.register(v1, {
    prefix: '/v1', rateLimit: deps.rateLimit ?? DEFAULT_RATE_LIMIT,
    composer: { from: deps.config.EMAIL_FROM, publicBaseUrl: deps.config.PUBLIC_BASE_URL, unsubscribeSecret: deps.config.UNSUBSCRIBE_SIGNING_SECRET },
    holdSeconds: deps.config.TICKET_HOLD_SECONDS, outbound: { allowPrivate: deps.config.OUTBOUND_WEBHOOKS_ALLOW_PRIVATE },
  });
  return app;
}

export type App = Awaited<ReturnType<typeof buildApp>>;
