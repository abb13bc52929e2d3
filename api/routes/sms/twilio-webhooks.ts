import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import twilio from 'twilio';
import { z } from 'zod';
import { webhookMetrics } from '../../../activities/metrics';
import { invalid } from '../../problem';
import { NO_QUERY, problems } from '../../schemas/common';
import { TWILIO_STATUS_PATH, messageStatusOf } from '../../../domain/sms';
import { applyTextStatus, receiveText } from '../../services/sms/sms-inbound';
import { badSignature, header, rawBody, verifiedInHandler } from '../webhooks';

export interface TwilioWebhookOptions {
  /** TWILIO_AUTH_TOKEN: Twilio signs its webhooks with it. */
  authToken: string;
  /** TWILIO_ACCOUNT_SID: the only account whose texts are taken. */
  accountSid: string;
  /** PUBLIC_BASE_URL: the origin Twilio is configured to post to, part of what it signs. */
  publicBaseUrl: string;
}

/** Twilio's inbound SMS parameters (twilio.com/docs/messaging/guides/webhook-request), checked after the signature verifies. */
const InboundSms = z.looseObject({
  MessageSid: z.string().regex(/^(SM|MM)[0-9a-f]{32}$/, 'must be a Twilio message SID'),
  AccountSid: z.string().regex(/^AC[0-9a-f]{32}$/, 'must be a Twilio account SID'),
  From: z.string().min(1).max(20),
  To: z.string().min(1).max(20),
  Body: z.string().max(1600).default(''),
});
/** Twilio's status callback parameters, checked after the signature verifies. */
const StatusCallback = z.looseObject({
  MessageSid: InboundSms.shape.MessageSid,
  AccountSid: InboundSms.shape.AccountSid,
  MessageStatus: z.string().min(1).max(20),
});
const TwiML = z.string().describe('TwiML (text/xml): <Response/>, or <Response><Message>…</Message></Response> with the one confirmation a keyword gets');
const tags = ['webhooks'];

/**
 * Twilio's incoming-message webhook (configure the client's number's "A message comes in" to
 * `POST {PUBLIC_BASE_URL}/webhooks/twilio/sms`). Authenticated by X-Twilio-Signature, checked with the SDK's
 * validateRequest over the URL Twilio posted to and the form parameters; a forged or altered request is
 * refused (400 naming the header) before anything is read. Each MessageSid is applied once: a redelivery
 * answers an empty TwiML response and changes nothing (api/services/sms/sms-inbound.ts). Each outbound text
 * names `POST {PUBLIC_BASE_URL}/webhooks/twilio/status` as its StatusCallback, verified the same way.
 */
const twilioWebhookRoutes: FastifyPluginAsyncZod<TwilioWebhookOptions> = async (app, options) => {
  app.setValidatorCompiler(verifiedInHandler);
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'buffer', bodyLimit: 64 * 1024 }, (_request, body, done) => done(null, body));
  const origin = options.publicBaseUrl.replace(/\/+$/, '');

  /** The signed form parameters of a Twilio webhook, or a 400 naming the signature header. */
  const verified = (request: { headers: Record<string, string | string[] | undefined>; url: string; body: unknown }): Record<string, string> => {
    const signature = header(request.headers['x-twilio-signature']);
    if (!signature) throw badSignature('x-twilio-signature', 'required: Twilio signs every webhook');
    const params = Object.fromEntries(new URLSearchParams(rawBody(request.body).toString('utf8')));
    if (!twilio.validateRequest(options.authToken, signature, `${origin}${request.url}`, params)) {
      throw badSignature('x-twilio-signature', 'does not verify with the configured auth token');
    }
    return params;
  };
  const parse = <T extends z.ZodType>(schema: T, params: Record<string, string>): z.infer<T> => {
    const parsed = schema.safeParse(params);
    if (!parsed.success) throw invalid(parsed.error.issues.map((issue) => ({ field: ['body', ...issue.path].join('.'), message: issue.message })));
    if ((parsed.data as { AccountSid: string }).AccountSid !== options.accountSid) throw invalid([{ field: 'body.AccountSid', message: 'is not this deployment\'s Twilio account' }]);
    return parsed.data;
  };

  app.post(TWILIO_STATUS_PATH, {
    schema: {
      summary: 'Twilio status callback of an outbound text: its conversation message moves forward only (pending → sent → delivered / failed / undelivered)', tags,
      querystring: NO_QUERY, body: StatusCallback, consumes: ['application/x-www-form-urlencoded'],
      response: { 200: TwiML, ...problems(400, 413, 415, 500, 503) },
    },
  }, async (request, reply) => {
    const callback = parse(StatusCallback, verified(request));
    const status = messageStatusOf(callback.MessageStatus);
    const changed = status ? await applyTextStatus(request.em, callback.MessageSid, status) : false;
    webhookMetrics.answered('twilio', 1, { duplicate: false, ignored: changed ? 0 : 1 });
    return reply.type('text/xml').send(new twilio.twiml.MessagingResponse().toString());
  });

  app.post('/webhooks/twilio/sms', {
    schema: {
      summary: 'Twilio incoming text: STOP/START/HELP keywords (opt-out compliance) and replies threaded in the donor\'s conversation, once per MessageSid', tags,
      querystring: NO_QUERY, body: InboundSms, consumes: ['application/x-www-form-urlencoded'],
      response: { 200: TwiML, ...problems(400, 413, 415, 500, 503) },
    },
  }, async (request, reply) => {
    const text = parse(InboundSms, verified(request));
    const outcome = await receiveText(request.em, { messageSid: text.MessageSid, from: text.From, to: text.To, body: text.Body });
    webhookMetrics.answered('twilio', 1, { duplicate: outcome.duplicate, ignored: outcome.unknownNumber ? 1 : 0 });
    if (!outcome.duplicate && !outcome.unknownNumber) webhookMetrics.applied('twilio', { applied: 1, duplicates: 0 });
    const response = new twilio.twiml.MessagingResponse();
    if (outcome.reply) response.message(outcome.reply);
    return reply.type('text/xml').send(response.toString());
  });
};

export default twilioWebhookRoutes;
