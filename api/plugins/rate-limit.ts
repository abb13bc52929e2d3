import rateLimit from '@fastify/rate-limit';
import fp from 'fastify-plugin';
import { Problem } from '../problem';
import { hashKey } from '../services/api-keys';
import { bearerKey } from './auth';

export interface RateLimitOptions {
  /** Requests per window and key. */
  max: number;
  timeWindowMs: number;
}

/**
 * Per-key rate limiting, before authentication so guessing keys is limited too: requests are counted
 * by the hash of the presented key (or the address when there is none). The store is in memory, per
 * process; several API processes behind a balancer would each allow `max`.
 */
export default fp<RateLimitOptions>(async (app, options) => {
  await app.register(rateLimit, { global: false });
  app.addHook('onRequest', app.rateLimit({
    max: options.max,
    timeWindow: options.timeWindowMs,
    keyGenerator: (request) => {
      const key = bearerKey(request);
      return key ? `key:${hashKey(key)}` : `ip:${request.ip}`;
    },
    errorResponseBuilder: (_request, context) =>
      new Problem(429, 'Too Many Requests', `rate limit of ${context.max} requests exceeded; retry in ${context.after}`, {}, 'urn:track15:problem:rate-limited'),
  }));
}, { name: 'rate-limit' });
