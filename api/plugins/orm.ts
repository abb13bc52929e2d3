import type { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import type { Client } from '@temporalio/client';
import fp from 'fastify-plugin';
import type Stripe from 'stripe';
import type { LifecycleDeps } from '../../workflows/campaigns/lifecycle';

declare module 'fastify' {
  interface FastifyInstance {
    orm: MikroORM;
    temporal: Client;
    stripe: Stripe;
    /** What workflows/campaigns/lifecycle.ts needs to start and steer campaign workflows. */
    lifecycle: LifecycleDeps;
  }
  interface FastifyRequest {
    /** This request's own EntityManager (mikro-orm guide style), so no identity map is shared between requests. */
    em: EntityManager;
  }
}

export interface OrmPluginOptions { orm: MikroORM; temporal: Client; stripe: Stripe; taskQueue: string }

/**
 * Hands the ORM, the Temporal client and the Stripe client to routes. The app does not own them (server.ts and tests open
 * them, and close them after the app), so nothing here closes them.
 */
export default fp<OrmPluginOptions>(async (app, { orm, temporal, stripe, taskQueue }) => {
  app.decorate('orm', orm);
  app.decorate('temporal', temporal);
  app.decorate('stripe', stripe);
  app.decorate('lifecycle', { orm, temporal, taskQueue });
  app.decorateRequest('em', null as unknown as EntityManager);
  app.addHook('onRequest', async (request) => {
    request.em = orm.em.fork();
  });
}, { name: 'orm' });
