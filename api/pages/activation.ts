import { randomUUID } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { withClient } from '../../domain/db/tenancy';
import { reportActivationStatus } from '../../workflows/activation/activation-lifecycle';
import type { RateLimitOptions } from '../plugins/rate-limit';
import { invalid, notFound as missing } from '../problem';
import type { PageType } from '../schemas/activation/content-versions';
import { problems, text, uuid } from '../schemas/common';
import {
  ACTIVATION_CURRENCY, type ActivationState, type CurrentVersion, acceptAgreement, clientOfToken, isUsedUp, loadActivationState, recordView,
  startActivationCheckout, viewDay, visitorHash,
} from '../services/activation/activation-pages';
import { type Block, activationPage, agreementPage, outcomePage } from './activation-render';
import { brandOf } from './brand';
import { HtmlPage, PAGE_CSP, type PageOptions, publicBase, wantsHtml } from './common';
import { formatMoney } from '../../domain/money';
import { messagePage } from './render';

export interface ActivationPagesOptions extends PageOptions {
  /** Requests per window and address over all the activation pages, well below the other pages' limit: tokens are short. */
  rateLimit: RateLimitOptions;
}

const TokenParams = z.strictObject({
  token: text().max(500).describe('The client\'s activation token: G and four digits (seed 003). Any other text is a 404'),
});
const ANY_QUERY = z.object({});
const AgreementForm = z.object({
  _csrf: text().max(500).optional().describe('The CSRF token of the agreement page'),
  accept: text().max(10).optional().describe('`yes`: the client accepts the agreement shown'),
  agreement_version_id: uuid.describe('The agreement version shown (and accepted)'),
  activation_version_id: uuid.optional().describe('The activation version shown before it'),
  submission_id: uuid.describe('The id of the form as rendered: a resubmission of the same form is the same acceptance and the same payment'),
}).nullish();
const tags = ['activation'];
const HTML = 'text/html; charset=utf-8';

/** The activation pages may show the client's logo, which its brand guidelines keep at an https URL. */
const ACTIVATION_CSP = { directives: { ...PAGE_CSP.directives, 'img-src': ["'self'", 'https:'] } };

/**
 * The client activation pages (issue 16 item 2), outside /v1, opened by the client's activation token
 * (seed 003's G####): the current activation version, then the current agreement version, whose accepted
 * form starts the Stripe Checkout Session of the activation payment (item 3), then the processing page
 * (Stripe's success URL) and, once the webhook recorded the payment, the confirmation page. Server-rendered
 * HTML in the client's brand (api/pages/brand.ts), with the public pages' CSP, CSRF protection and limits.
 * - One view per visitor per day is recorded against each version shown (a salted hash, nothing personal).
 * - An unknown, malformed or used-up token (paid, or expired by the workflow), and a client without a
 *   current version of the page, all get the same 404 page, which names nothing. Each request costs one
 *   indexed token lookup, and the pages share a tight per-address limit, so guessing tokens is slow.
 * - The processing and confirmation pages stay reachable after payment and expiry once a payment was started;
 *   after a declined payment the processing page leads back to the agreement.
 */
const activationPages: FastifyPluginAsyncZod<ActivationPagesOptions> = async (app, options) => {
  // One limiter (one counter per address) for all the activation pages, on top of the public pages' own.
  const routeConfig = {
    onRequest: app.rateLimit({ max: options.rateLimit.max, timeWindow: options.rateLimit.timeWindowMs }),
    helmet: { contentSecurityPolicy: ACTIVATION_CSP },
  };
  const inClient = <T>(clientId: string, work: Parameters<typeof withClient<T>>[2]) => withClient(app.orm.em.fork(), clientId, work);
  const visitorOf = (request: FastifyRequest) => visitorHash(options.secret, { ip: request.ip, userAgent: request.headers['user-agent'] ?? '' }, viewDay());

  /** The same answer for every miss: a page for a browser, problem+json for anything else (as the other public pages refuse). */
  const notFound = (request: FastifyRequest, reply: FastifyReply) => {
    if (!wantsHtml(request)) throw missing('activation page');
    return reply.code(404).type(HTML).send(messagePage('Page not found', [
      'We could not find an activation page at this address. Please check the link or the code you were given, or ask the person who sent it for a new one.',
    ], reply.cspNonce.style));
  };

  /** The client's state behind a token, or null for every kind of miss. */
  const open = async (token: string): Promise<ActivationState | null> => {
    const clientId = await clientOfToken(app.orm.em, token);
    return clientId ? inClient(clientId, (em) => loadActivationState(em, clientId)) : null;
  };
  /** The activation and agreement pages exist while the token is not used up and both pages have a current version. */
  const isOpen = (state: ActivationState | null): state is ActivationState & { versions: { activation: CurrentVersion; agreement: CurrentVersion } } =>
    state !== null && !isUsedUp(state) && state.versions.activation !== undefined && state.versions.agreement !== undefined;
  const common = (state: ActivationState, pageType: PageType) => {
    const version = state.versions[pageType]!;
    const content = version.content as { headline: string; body?: Block[] };
    return { organisation: state.organisation, brand: brandOf(state.brand), headline: content.headline, body: content.body ?? [] };
  };
  const view = (request: FastifyRequest, state: ActivationState, pageType: PageType) =>
    inClient(state.clientId, (em) => recordView(em, state.clientId, state.versions[pageType]!.id, visitorOf(request), viewDay()));
  const price = (content: Record<string, unknown>) => {
    const shown = content.price_shown as { amount: number; currency: string };
    return formatMoney(shown.amount, shown.currency);
  };

  const agreement = (reply: FastifyReply, state: ActivationState, errors: string[] = []) => {
    const version = state.versions.agreement!;
    const content = version.content as { agreement_text: string; accept_label: string };
    return reply.type(HTML).send(agreementPage({
      ...common(state, 'agreement'), agreementText: content.agreement_text, acceptLabel: content.accept_label,
      price: price(version.content), charge: formatMoney(state.amount, ACTIVATION_CURRENCY),
      csrfToken: reply.generateCsrf(), agreementVersionId: version.id, activationVersionId: state.versions.activation?.id ?? null,
      submissionId: randomUUID(), errors,
    }, reply.cspNonce.style));
  };

  const errorsAs404 = { 200: HtmlPage, ...problems(400, 404, 429, 500, 503) };

  app.get('/activate/:token', {
    ...routeConfig,
    schema: {
      summary: 'The client\'s activation page: the current activation version in the client\'s brand (records one view per visitor per day)', tags,
      params: TokenParams, querystring: ANY_QUERY, response: errorsAs404,
    },
  }, async (request, reply) => {
    const state = await open(request.params.token);
    if (!isOpen(state)) return notFound(request, reply);
    await view(request, state, 'activation');
    const content = state.versions.activation.content as { subheadline?: string; call_to_action: { label: string } };
    return reply.type(HTML).send(activationPage({
      ...common(state, 'activation'), subheadline: content.subheadline ?? null, price: price(state.versions.activation.content),
      callToAction: content.call_to_action.label, agreementUrl: `/activate/${request.params.token}/agreement`,
    }, reply.cspNonce.style));
  });

  app.get('/activate/:token/agreement', {
    ...routeConfig,
    schema: {
      summary: 'The agreement page: the current agreement version and the form accepting it (records one view per visitor per day)', tags,
      params: TokenParams, querystring: ANY_QUERY, response: errorsAs404,
    },
  }, async (request, reply) => {
    const state = await open(request.params.token);
    if (!isOpen(state)) return notFound(request, reply);
    await view(request, state, 'agreement');
    return agreement(reply, state);
  });

  app.post('/activate/:token/agreement', {
    ...routeConfig,
    schema: {
      summary: 'Accepts the agreement (recorded with its time and version) and answers 303 to the Stripe Checkout Session of the activation payment', tags,
      params: TokenParams, querystring: ANY_QUERY, body: AgreementForm, consumes: ['application/x-www-form-urlencoded'],
      response: { ...errorsAs404, 303: z.null().describe('To the Stripe Checkout page (Location)'), ...problems(400, 403, 413, 415, 429, 500, 502, 503) },
    },
    preHandler: app.csrfProtection,
  }, async (request, reply) => {
    const { token } = request.params;
    const state = await open(token);
    if (!isOpen(state)) return notFound(request, reply);
    const body = request.body;
    if (!body) throw invalid([{ field: 'body', message: 'the agreement form is required' }]);
    if (body.accept !== 'yes') {
      const message = 'Please tick the box to accept the agreement before you continue.';
      if (!wantsHtml(request)) throw invalid([{ field: 'body.accept', message: 'must be `yes`: the agreement was not accepted' }]);
      reply.code(400);
      return agreement(reply, state, [message]);
    }
    const versions = { agreementVersionId: body.agreement_version_id, activationVersionId: body.activation_version_id ?? null };
    const started = await inClient(state.clientId, (em) => acceptAgreement(em, state, { ...versions, submissionId: body.submission_id, visitor: visitorOf(request) }));
    if (!await reportActivationStatus(app.temporal, state.clientId, 'active')) request.log.warn({ clientId: state.clientId }, 'the activation workflow did not hear the acceptance');
    const base = `${publicBase(request, options.publicBaseUrl)}/activate/${token}`;
    const url = await startActivationCheckout((work) => inClient(state.clientId, work), app.stripe, state, started, versions, {
      successUrl: `${base}/processing?session_id={CHECKOUT_SESSION_ID}`, cancelUrl: `${base}/agreement`,
    });
    return reply.redirect(url, 303);
  });

  for (const [pageType, other] of [['processing', 'confirmation'], ['confirmation', 'processing']] as const) {
    app.get(`/activate/:token/${pageType}`, {
      ...routeConfig,
      schema: {
        summary: pageType === 'processing'
          ? 'Where Stripe Checkout returns the client: the current processing version until the payment is recorded, then 303 to the confirmation page (to the agreement after a decline)'
          : 'The current confirmation version once the payment is recorded (else 303 to the processing page)',
        tags, params: TokenParams, querystring: ANY_QUERY, response: { ...errorsAs404, 303: z.null().describe(`To the ${other} page (Location)`) },
      },
    }, async (request, reply) => {
      const state = await open(request.params.token);
      if (!state?.paymentStarted || !state.versions[pageType]) return notFound(request, reply);
      // A declined payment: back to the agreement, to accept and pay again.
      if (pageType === 'processing' && state.status === 'failed' && isOpen(state)) return reply.redirect(`/activate/${request.params.token}/agreement`, 303);
      if ((state.status === 'paid') !== (pageType === 'confirmation')) return reply.redirect(`/activate/${request.params.token}/${other}`, 303);
      await view(request, state, pageType);
      const content = state.versions[pageType].content as { call_to_action?: { label: string } };
      return reply.type(HTML).send(outcomePage({
        ...common(state, pageType), callToAction: content.call_to_action?.label ?? null,
        refreshUrl: pageType === 'processing' ? `/activate/${request.params.token}/processing` : null,
      }, reply.cspNonce.style));
    });
  }
};

export default activationPages;
