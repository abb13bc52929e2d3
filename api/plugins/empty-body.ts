import type { FastifySchema } from 'fastify';
import fp from 'fastify-plugin';
import type { z } from 'zod';

const acceptsEmpty = new WeakMap<object, boolean>();

/**
 * Whether an operation's body has only optional fields: its schema accepts `{}`. Such an operation
 * (pause, rfm/recalculate…) may be sent with no body at all. Decided from the schema itself, so a new
 * operation of that kind needs nothing more; the OpenAPI document marks its body not required.
 */
export function bodyIsOptional(schema: FastifySchema | undefined): boolean {
  const body = schema?.body as z.ZodType | undefined;
  if (!body || typeof body.safeParse !== 'function') return false;
  let optional = acceptsEmpty.get(body);
  if (optional === undefined) {
    optional = body.safeParse({}).success;
    acceptsEmpty.set(body, optional);
  }
  return optional;
}

/**
 * No body means `{}` for operations whose body has only optional fields, however "no body" is sent:
 * no Content-Type and nothing (curl -X POST), `Content-Type: application/json` with zero bytes (what
 * many HTTP clients send for an empty body), or zero bytes of another type (fetch's text/plain for
 * ''). Zero bytes have no format, so an empty body is no body whatever its declared type; an operation
 * that needs fields still answers 400 naming `body`. One place for every such operation (issue 10,
 * item 10); registered in the /v1 scope, whose content-type parsers it replaces for JSON only.
 */
export default fp(async (app) => {
  // A zero-length body with a Content-Type would otherwise reach that type's parser: 415 for types the
  // API does not read, 400 "empty JSON" for application/json. Fastify treats a request without a
  // Content-Type and with Content-Length 0 as bodiless.
  app.addHook('onRequest', async (request) => {
    if (request.headers['content-length'] === '0' && request.headers['transfer-encoding'] === undefined) {
      delete request.raw.headers['content-type'];
    }
  });

  // A chunked body is only known to be empty once read: empty JSON is no body too.
  const json = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    if (body.length === 0) done(null, undefined);
    // Fastify's own parser answers through `done` (its type also admits a promise-returning parser).
    else void json(request, body as string, done);
  });

  app.addHook('preValidation', async (request) => {
    // Only absence: a JSON `null` is a value, and not an object.
    if (request.body === undefined && bodyIsOptional(request.routeOptions.schema)) request.body = {};
  });
}, { name: 'empty-body' });
