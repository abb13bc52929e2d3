import type { Agent } from 'node:http';
import Stripe from 'stripe';
import { observeProviderCall, pathTemplate } from '../../domain/telemetry/provider-calls';

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
 * 5xx, with backoff, and every retry of a request carries the request's idempotency key. Each attempt
 * is traced and measured (domain/telemetry/provider-calls.ts).
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
    httpClient: observedHttpClient(Stripe.createNodeHttpClient(httpAgent)),
  });
}

/** The SDK's Node HTTP client, each request going through observeProviderCall. */
function observedHttpClient(inner: Stripe.HttpClient): Stripe.HttpClient {
  const observed = Object.create(inner) as Stripe.HttpClient;
  observed.makeRequest = (host, port, path, method, headers, requestData, protocol, timeout) => observeProviderCall({
    provider: 'stripe',
    operation: `${method} ${pathTemplate(path)}`,
    url: `${protocol}://${host}:${port}${path.split('?')[0]}`,
    send: (traceHeaders) => inner.makeRequest(host, port, path, method, { ...headers, ...traceHeaders }, requestData, protocol, timeout),
    statusOf: (outcome) => ('response' in outcome ? outcome.response.getStatusCode() : undefined),
  });
  return observed;
}
