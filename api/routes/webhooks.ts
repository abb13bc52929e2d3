import { EventWebhook } from '@sendgrid/eventwebhook';
import type { FastifySchemaCompiler } from 'fastify';
import { type FastifyPluginAsyncZod, validatorCompiler } from 'fastify-type-provider-zod';
import type Stripe from 'stripe';
import { z } from 'zod';
import { webhookMetrics } from '../../activities/metrics';
import { Problem, invalid } from '../problem';
import { NO_QUERY, problems } from '../schemas/common';
import { dispatchStripeEvent } from '../services/payments/stripe-dispatch';
import { SendGridEvent, SendGridEvents, dispatchSendGridEvents, sortSendGridEvents } from '../services/provider-events';

export interface WebhookOptions {
  stripeWebhookSecret: string;
  /** The Event Webhook's verification key; without one every SendGrid request is refused. */
  sendgridPublicKey: string | undefined;
}

/** SendGrid signs a timestamp with the payload; an older one is a replay. Stripe's SDK applies the same 5 minutes. */
const SIGNATURE_TOLERANCE_SECONDS = 300;

const Accepted = z.object({
  received: z.literal(true),
  duplicate: z.boolean().describe('Already received: nothing more was done'),
  ignored: z.number().int().describe('Events the product does not act on'),
});
const SendGridAccepted = Accepted.extend({
  malformed: z.number().int().describe('Events that could not be read: skipped (and logged), the rest of the batch applied'),
});
/** Documents the batch; the handler checks each event on its own after the signature verifies. */
const SendGridBatchBody = z.array(SendGridEvent).max(10_000)
  .describe('The events SendGrid batched; an event of a type the product does not use, or one it cannot read, is counted and skipped');
const tags = ['webhooks'];

/** Documents the event; the handler checks it only after the signature over the raw bytes verifies. */
const StripeEventBody = z.looseObject({
  id: z.string(), type: z.string(), created: z.number().int(), data: z.looseObject({ object: z.looseObject({}) }),
});

/**
 * The body stays raw bytes until its signature is checked, so Fastify must not validate it against the
 * documented schema; query and headers are validated as everywhere.
 */
export const verifiedInHandler: FastifySchemaCompiler<z.ZodType> = (route) =>
  (route.httpPart === 'body' ? (value: unknown) => ({ value }) : validatorCompiler(route));

export const header = (value: string | string[] | undefined) => (typeof value === 'string' ? value : undefined);
export const badSignature = (name: string, message: string) => invalid([{ field: `header.${name}`, message }]);

/**
 * Provider webhooks. They are authenticated by signatures over the raw body (so JSON is not parsed
 * before verification), answer as soon as the work is handed to a Temporal workflow, and are safe to
 * receive any number of times in any order.
 */
const webhookRoutes: FastifyPluginAsyncZod<WebhookOptions> = async (app, options) => {
  app.setValidatorCompiler(verifiedInHandler);
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));
  const sendgridKey = options.sendgridPublicKey ? new EventWebhook().convertPublicKeyToECDSA(asPem(options.sendgridPublicKey)) : null;
  const dispatch = { temporal: app.temporal, taskQueue: app.lifecycle.taskQueue };

  app.post('/webhooks/stripe', {
    schema: {
      summary: 'Stripe webhook: each event goes to the handler of the purpose its object names in metadata.purpose (api/services/payments/stripe-dispatch.ts); payment intents and refunds record payments and gifts', tags,
      querystring: NO_QUERY, body: StripeEventBody,
      response: { 200: Accepted, ...problems(400, 413, 415, 500, 503) },
    },
  }, async (request) => {
    const signature = header(request.headers['stripe-signature']);
    if (!signature) throw badSignature('stripe-signature', 'required: Stripe signs every webhook');
    let event: Stripe.Event;
    try {
      event = app.stripe.webhooks.constructEvent(rawBody(request.body), signature, options.stripeWebhookSecret, SIGNATURE_TOLERANCE_SECONDS);
    } catch (error) {
      throw badSignature('stripe-signature', error instanceof Error ? error.message : 'does not verify');
    }
    const answer = await dispatchStripeEvent(dispatch, event);
    webhookMetrics.answered('stripe', 1, answer);
    return answer;
  });

  app.post('/webhooks/sendgrid', {
    schema: {
      summary: 'SendGrid Event Webhook: delivery, engagement, bounces, drops and unsubscribes, applied once per sg_event_id', tags,
      querystring: NO_QUERY, body: SendGridBatchBody,
      response: { 200: SendGridAccepted, ...problems(400, 413, 415, 500, 503) },
    },
  }, async (request) => {
    if (!sendgridKey) throw new Problem(503, 'Service Unavailable', 'the SendGrid Event Webhook is not configured (set SENDGRID_WEBHOOK_PUBLIC_KEY)');
    const signatureName = 'x-twilio-email-event-webhook-signature';
    const timestampName = 'x-twilio-email-event-webhook-timestamp';
    const signature = header(request.headers[signatureName]);
    const timestamp = header(request.headers[timestampName]);
    if (!signature) throw badSignature(signatureName, 'required: SendGrid signs every webhook');
    if (!timestamp || !/^\d{1,12}$/.test(timestamp)) throw badSignature(timestampName, 'required: unix seconds');
    if (Math.abs(Date.now() / 1000 - Number(timestamp)) > SIGNATURE_TOLERANCE_SECONDS) throw badSignature(timestampName, 'too old (or in the future): a replayed request');
    const body = rawBody(request.body);
    if (!verifies(sendgridKey, body, signature, timestamp)) throw badSignature(signatureName, 'does not verify with the configured key');
    // Only a body that is not a batch at all is refused; each event is then judged on its own.
    const events = SendGridEvents.safeParse(parseJson(body));
    if (!events.success) {
      throw invalid(events.error.issues.map((issue) => ({ field: ['body', ...issue.path].join('.'), message: issue.message })));
    }
    const sorted = sortSendGridEvents(events.data);
    if (sorted.malformed.length > 0) request.log.warn({ malformed: sorted.malformed.slice(0, 20) }, `skipped ${sorted.malformed.length} SendGrid event(s) that could not be read`);
    const answer = await dispatchSendGridEvents(dispatch, sorted);
    webhookMetrics.answered('sendgrid', events.data.length, answer);
    return answer;
  });
};

export function rawBody(body: unknown): Buffer {
  return Buffer.isBuffer(body) ? body : Buffer.alloc(0);
}

function parseJson(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString('utf8'));
  } catch {
    throw invalid([{ field: 'body', message: 'is not valid JSON' }]);
  }
}

function verifies(key: ReturnType<EventWebhook['convertPublicKeyToECDSA']>, body: Buffer, signature: string, timestamp: string): boolean {
  try {
    return new EventWebhook().verifySignature(key, body, signature, timestamp);
  } catch {
    return false; // a signature that is not even base64 DER
  }
}

/** SendGrid shows the key as bare base64 (DER); the library reads PEM. */
function asPem(key: string): string {
  if (key.includes('BEGIN PUBLIC KEY')) return key;
  return `-----BEGIN PUBLIC KEY-----\n${key.replace(/\s+/g, '').match(/.{1,64}/g)!.join('\n')}\n-----END PUBLIC KEY-----`;
}

export default webhookRoutes;
