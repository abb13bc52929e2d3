import { createHmac } from 'node:crypto';
import fastifyCookie from '@fastify/cookie';
import fastifyCsrf from '@fastify/csrf-protection';
import fastifyFormbody from '@fastify/formbody';
import fastifyHelmet from '@fastify/helmet';
import rateLimit from '@fastify/rate-limit';
import type { FastifyPluginAsync } from 'fastify';
import { toProblem } from '../errors';
import type { RateLimitOptions } from '../plugins/rate-limit';
import { Problem } from '../problem';
import activationPages from './activation';
import { PAGE_CSP, type PageOptions, wantsHtml } from './common';
import givePages from './give';
import managePages from './manage';
import { messagePage } from './render';

export interface PublicPagesOptions extends PageOptions {
  /** Requests per window and client address, over all the public pages. */
  rateLimit: RateLimitOptions;
  /** Requests per window and address over the activation pages (G#### tokens are few: a tighter limit). */
  activationRateLimit: RateLimitOptions;
  /** Secure cookies (HTTPS); off for a plain-HTTP local stack. */
  secureCookies: boolean;
}

/**
 * The donor- and client-facing pages (give, manage, activation), apart from /v1 (DESIGN §8): server-rendered HTML, with security headers
 * (@fastify/helmet: a strict CSP, styles by nonce, no scripts at all), forms protected against
 * cross-site posting (@fastify/csrf-protection, its secret in a signed, HttpOnly, SameSite=Lax cookie),
 * form bodies (@fastify/formbody), and a rate limit per client address. A browser that is refused
 * gets a page saying why; anything else gets problem+json like the API.
 */
const publicPages: FastifyPluginAsync<PublicPagesOptions> = async (app, options) => {
  await app.register(fastifyHelmet, {
    enableCSPNonces: true,
    contentSecurityPolicy: PAGE_CSP,
    // The pages send the donor on to Stripe; they never need to tell Stripe where the donor came from.
    referrerPolicy: { policy: 'no-referrer' },
  });
  // A key of its own for the cookies, derived so that no cookie signature is ever a valid link MAC.
  await app.register(fastifyCookie, { secret: createHmac('sha256', options.secret).update('public-pages-cookie').digest('base64url') });
  await app.register(fastifyCsrf, {
    sessionPlugin: '@fastify/cookie',
    cookieKey: '__Host-csrf'.slice(options.secureCookies ? 0 : '__Host-'.length),
    cookieOpts: { signed: true, httpOnly: true, sameSite: 'lax', path: '/', secure: options.secureCookies },
  });
  await app.register(fastifyFormbody, { bodyLimit: 16 * 1024 });
  await app.register(rateLimit, {
    global: true,
    max: options.rateLimit.max,
    timeWindow: options.rateLimit.timeWindowMs,
    errorResponseBuilder: (_request, context) =>
      new Problem(429, 'Too Many Requests', `rate limit of ${context.max} requests exceeded; retry in ${context.after}`, {}, 'urn:track15:problem:rate-limited'),
  });
  app.setErrorHandler((error, request, reply) => {
    if (!wantsHtml(request)) throw error; // the app's handler answers problem+json
    const problem = toProblem(error);
    if (problem.status >= 500) request.log.error({ err: error }, 'page failed');
    const nonce = reply.cspNonce?.style ?? '';
    const [heading, paragraph] = problem.status === 429 ? ['Too many requests', 'Please wait a minute and try again.']
      : problem.status === 403 ? ['This form has expired', 'Please go back, reload the page and try again.']
        : problem.status >= 500 ? ['Something went wrong', 'We could not finish this just now. Please try again in a few minutes.']
          : ['This request could not be read', 'Please go back and try again.'];
    return reply.code(problem.status).headers(problem.headers).type('text/html; charset=utf-8').send(messagePage(heading, [paragraph], nonce));
  });
  await app.register(givePages, options);
  await app.register(managePages, options);
  await app.register(activationPages, { ...options, rateLimit: options.activationRateLimit });
};

export default publicPages;
