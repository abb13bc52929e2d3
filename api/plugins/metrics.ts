import fp from 'fastify-plugin';
import { httpRequestDuration, httpRequests } from '../metrics';

/**
 * Counts every response and its latency by route template (not the raw URL, so ids do not explode the
 * label set; requests that match no route share one label). They are served with the process's other
 * metrics on the metrics address (domain/telemetry/metrics-server.ts), never on the public API.
 */
export default fp(async (app) => {
  app.addHook('onResponse', async (request, reply) => {
    const labels = { method: request.method, route: request.routeOptions.url ?? 'unmatched', status: String(reply.statusCode) };
    httpRequests.inc(labels);
    httpRequestDuration.observe(labels, reply.elapsedTime / 1000);
  });
}, { name: 'metrics' });
