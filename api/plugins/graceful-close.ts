import fp from 'fastify-plugin';

/**
 * While the app closes, a request that finishes also closes its connection. Fastify closes idle
 * keep-alive connections when closing starts, but a connection whose request was still in flight
 * would otherwise stay open, idle, until its keep-alive timeout, holding the shutdown up.
 */
export default fp(async (app) => {
  let closing = false;
  app.addHook('preClose', async () => { closing = true; });
  app.addHook('onSend', async (_request, reply) => {
    if (closing) reply.header('connection', 'close');
  });
}, { name: 'graceful-close' });
