import { type Context, ROOT_CONTEXT, SpanKind, SpanStatusCode, context, propagation, trace } from '@opentelemetry/api';
import type { FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';

/**
 * One OpenTelemetry SERVER span per request (HTTP semantic conventions), continuing the caller's trace
 * when a `traceparent` header comes with it; the route's handler runs inside it, so the Temporal client
 * spans it causes (and through them the workflow, its activities and their provider calls) are its
 * children. The handler is wrapped, not just the first hook: Fastify reads the body in stream callbacks
 * that would lose the request's context. Paths only, never query strings (a search may carry an address).
 * A no-op until domain/telemetry/tracing.ts installs a tracer provider.
 */
export default fp(async (app) => {
  const tracer = trace.getTracer('track15-api');
  const contexts = new WeakMap<FastifyRequest, Context>();

  app.addHook('onRequest', (request, _reply, done) => {
    const route = request.routeOptions.url;
    const span = tracer.startSpan(route ? `${request.method} ${route}` : request.method, {
      kind: SpanKind.SERVER,
      attributes: {
        'http.request.method': request.method, 'url.path': request.url.split('?')[0], 'url.scheme': request.protocol,
        ...(route ? { 'http.route': route } : {}),
      },
    }, propagation.extract(ROOT_CONTEXT, request.headers));
    const active = trace.setSpan(ROOT_CONTEXT, span);
    contexts.set(request, active);
    context.with(active, done);
  });

  app.addHook('onRoute', (route) => {
    const handler = route.handler;
    route.handler = function tracedHandler(this: unknown, request, reply) {
      return context.with(contexts.get(request) ?? context.active(), () => handler.call(this as never, request, reply));
    };
  });

  app.addHook('onResponse', async (request, reply) => {
    const span = trace.getSpan(contexts.get(request) ?? ROOT_CONTEXT);
    if (!span) return;
    span.setAttribute('http.response.status_code', reply.statusCode);
    if (reply.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
    span.end();
  });
}, { name: 'tracing' });
