import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { tooLarge } from '../problem';

const continued = new WeakSet<IncomingMessage>();

function expectsContinue(request: FastifyRequest): boolean {
  return request.headers.expect?.toLowerCase() === '100-continue';
}

/**
 * Oversized bodies answer 413 problem+json every time, whatever way the client sends them.
 *
 * Node answers `Expect: 100-continue` with 100 Continue by itself, before Fastify knows the operation
 * or its body limit, so a client was invited to send 2 MB that the route then refused mid-upload; the
 * connection could be reset under the client before it read the 413. Here the 100 is sent only once
 * the request has passed authentication and its declared Content-Length fits the operation's
 * `bodyLimit` (RFC 9110 §10.1.1: a server may answer with a final status instead). A request refused
 * without the 100 says `Connection: close`, so a client that is holding its body back knows not to send
 * it on this connection. A body sent anyway (no Expect, or not waiting) is read and discarded by Node
 * after the answer, so the 413 is never lost to a reset; a chunked body is cut off by Fastify's own
 * count at the same limit.
 */
export default fp(async (app) => {
  app.server.on('checkContinue', (request: IncomingMessage, response: ServerResponse) => app.server.emit('request', request, response));

  app.addHook('preParsing', async (request, reply, payload) => {
    const limit = request.routeOptions.bodyLimit ?? app.initialConfig.bodyLimit ?? Infinity;
    const length = Number(request.headers['content-length']);
    if (length > limit) throw tooLarge(limit);
    if (expectsContinue(request)) {
      reply.raw.writeContinue();
      continued.add(request.raw);
    }
    return payload;
  });

  app.addHook('onSend', async (request, reply) => {
    if (expectsContinue(request) && !continued.has(request.raw)) reply.header('connection', 'close');
  });
}, { name: 'body-limit' });
