import { SpanKind, SpanStatusCode, context, propagation, trace } from '@opentelemetry/api';
import { Counter, Histogram } from 'prom-client';
import { metricsRegistry } from './registry';

/** The providers whose HTTP calls are observed: one label value each. */
export type Provider = 'sendgrid' | 'stripe' | 'twilio';

/**
 * The provider answers the product retries (Temporal retries SendGrid activities, the Stripe SDK retries
 * its own requests): throttling, server errors, and requests that got no answer at all (`network`).
 * Sources: SendGrid's v3 API error docs (429, 5xx) and Stripe's "Error handling" guide (409, 429, 5xx).
 */
const RETRIED = (status: string) => status === 'network' || status === '429' || status === '409' || status.startsWith('5');

const latency = new Histogram({
  name: 'track15_provider_request_duration_seconds',
  help: 'Provider HTTP request latency in seconds (each attempt), by provider, operation and HTTP status ("network" when no answer came)',
  labelNames: ['provider', 'operation', 'status'] as const,
  buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
  registers: [metricsRegistry],
});

const retries = new Counter({
  name: 'track15_provider_retries_total',
  help: 'Provider answers that lead to a retry (429, 409 for Stripe, 5xx, no answer), by provider and status',
  labelNames: ['provider', 'status'] as const,
  registers: [metricsRegistry],
});

/** Where an observed call went and how it ended. */
export interface ProviderCall<T> {
  provider: Provider;
  /** Method and path template, never raw ids (they would explode the label set): `POST /v3/mail/send`. */
  operation: string;
  /** Scheme, host and path only: a query string may carry a donor's address. */
  url: string;
  /** Receives the W3C trace context headers to send, so the provider's side (or a proxy) can join the trace. */
  send(traceHeaders: Record<string, string>): Promise<T>;
  /** The HTTP status of a response, or of an error (undefined: no answer came). */
  statusOf(outcome: { response: T } | { error: unknown }): number | undefined;
}

/**
 * Runs one provider HTTP request as an OpenTelemetry CLIENT span (a child of whatever is active: the
 * activity's span in the worker, the request's in the API) and records its latency and retry metrics.
 * Attribute names follow the OpenTelemetry HTTP client semantic conventions.
 */
export async function observeProviderCall<T>(call: ProviderCall<T>): Promise<T> {
  const method = call.operation.split(' ')[0];
  const span = trace.getTracer('track15').startSpan(call.operation, {
    kind: SpanKind.CLIENT,
    attributes: { 'http.request.method': method, 'url.full': call.url, 'track15.provider': call.provider },
  });
  const started = process.hrtime.bigint();
  const finish = (status: number | undefined, error?: unknown) => {
    const label = status === undefined ? 'network' : String(status);
    latency.observe({ provider: call.provider, operation: call.operation, status: label }, Number(process.hrtime.bigint() - started) / 1e9);
    if (RETRIED(label)) retries.inc({ provider: call.provider, status: label });
    if (status !== undefined) span.setAttribute('http.response.status_code', status);
    // Only the status: a provider's error message may quote a donor's address.
    if (error !== undefined || (status ?? 0) >= 400) span.setStatus({ code: SpanStatusCode.ERROR, message: label });
    span.end();
  };
  const headers: Record<string, string> = {};
  propagation.inject(trace.setSpan(context.active(), span), headers);
  try {
    const response = await context.with(trace.setSpan(context.active(), span), () => call.send(headers));
    finish(call.statusOf({ response }));
    return response;
  } catch (error) {
    finish(call.statusOf({ error }), error);
    throw error;
  }
}

/** `/v1/payment_intents/pi_3Mtw…/confirm` → `/v1/payment_intents/{id}/confirm`: path segments with digits past the version are ids. */
export function pathTemplate(path: string): string {
  const [bare] = path.split('?');
  return bare.split('/').map((segment, index) => (index > 1 && /\d/.test(segment) ? '{id}' : segment)).join('/');
}
