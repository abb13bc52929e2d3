import fp from 'fastify-plugin';
import { z } from 'zod';
import { Counter, Histogram } from '../metrics';

const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/**
 * Request counts and latencies by route template (not the raw URL, so ids do not explode the label
 * set; requests that match no route share one label), served at /metrics for Prometheus to scrape.
 */
export default fp(async (app) => {
  const requests = new Counter('http_requests_total', 'HTTP requests by method, route and status code');
  const latency = new Histogram('http_request_duration_seconds', 'HTTP request latency by method, route and status code', LATENCY_BUCKETS);

  app.addHook('onResponse', async (request, reply) => {
    const labels = { method: request.method, route: request.routeOptions.url ?? 'unmatched', status: String(reply.statusCode) };
    requests.inc(labels);
    latency.observe(labels, reply.elapsedTime / 1000);
  });

  app.get('/metrics', {
    schema: {
      summary: 'Prometheus metrics: request counts and latency histograms by route',
      tags: ['operations'],
      security: [],
      response: { 200: z.string().describe('Prometheus text exposition format 0.0.4') },
    },
  }, async (_request, reply) => {
    reply.type('text/plain; version=0.0.4; charset=utf-8');
    return `${requests.expose()}\n${latency.expose()}\n`;
  });
}, { name: 'metrics' });
