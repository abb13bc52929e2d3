import { Counter, Histogram } from 'prom-client';
import { metricsRegistry } from '../domain/telemetry/registry';

/** Seconds; from 5 ms (a cached status read) to 10 s (a slow CSV import). */
const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

const labelNames = ['method', 'route', 'status'] as const;

/** HTTP requests the API answered, by method, route template and status code. */
export const httpRequests = new Counter({
  name: 'http_requests_total', help: 'HTTP requests by method, route and status code', labelNames, registers: [metricsRegistry],
});

/** Their latency in seconds, from the request's arrival to the response's end. */
export const httpRequestDuration = new Histogram({
  name: 'http_request_duration_seconds', help: 'HTTP request latency in seconds by method, route and status code',
  labelNames, buckets: LATENCY_BUCKETS, registers: [metricsRegistry],
});
