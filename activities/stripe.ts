import type { Agent } from 'node:http';
import Stripe from 'stripe';

export interface StripeOptions {
  secretKey: string;
  /** https://api.stripe.com in production, stripe-mock (or a fault-injecting proxy) elsewhere. */
  apiBase: string;
  /** Per-request timeout; a timed-out request is retried like a dropped connection. */
  timeoutMs?: number;
  maxNetworkRetries?: number;
  /** A connection pool the caller owns (and destroys when done); the SDK's own keeps sockets open. */
  httpAgent?: Agent;
}

/**
 * The real Stripe SDK pointed at `apiBase`. Its own retries cover connection errors, timeouts, 409 and
 * 5xx, with backoff, and every retry of a request carries the request's idempotency key.
 */
export function createStripe({ secretKey, apiBase, timeoutMs = 10_000, maxNetworkRetries = 3, httpAgent }: StripeOptions): Stripe {
  const url = new URL(apiBase);
  return new Stripe(secretKey, {
    host: url.hostname,
    port: Number(url.port || (url.protocol === 'https:' ? 443 : 80)),
    protocol: url.protocol === 'https:' ? 'https' : 'http',
    timeout: timeoutMs,
    maxNetworkRetries,
    telemetry: false,
    ...(httpAgent ? { httpAgent } : {}),
  });
}
