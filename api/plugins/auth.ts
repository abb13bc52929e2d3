import type { EntityManager } from '@mikro-orm/postgresql';
import type { FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { asOperator, readAsClient, withClient } from '../../domain/db/tenancy';
import { Problem, forbidden, notFound } from '../problem';
import { type Principal, authenticate } from '../services/api-keys';

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal;
    /**
     * Runs `work` inside the client's tenant (RLS and ORM filter), after checking the key may act for
     * it. A client key naming another client gets 404, exactly as for a client that does not exist.
     */
    inClient<T>(clientId: string, work: (em: EntityManager) => Promise<T>): Promise<T>;
    /**
     * One read in the client's tenant in a single database round trip (domain/db/tenancy.ts readAsClient),
     * after the same check as inClient: the json the query returned, or null when it found no row.
     */
    readAsClient<T>(clientId: string, query: string, arg: string): Promise<T | null>;
    /** Runs `work` across clients; only operator keys may. */
    asOperator<T>(work: (em: EntityManager) => Promise<T>): Promise<T>;
  }
}

const BEARER = /^Bearer ([\x21-\x7e]{1,200})$/;

function unauthorized(message: string): Problem {
  return new Problem(401, 'Unauthorized', `header.authorization: ${message}`, { errors: [{ field: 'header.authorization', message }] });
}

/**
 * Throws 404 `client` unless the principal may act for the client: an operator for any, a client key
 * for its own only (another client's id is answered exactly as one that does not exist).
 */
export function ensureMayActFor(principal: Principal, clientId: string): void {
  if (principal.role !== 'operator' && principal.clientId !== clientId) throw notFound('client');
}

/** Reads the bearer key from the Authorization header; undefined when there is none to read. */
export function bearerKey(request: FastifyRequest): string | undefined {
  return BEARER.exec(request.headers.authorization ?? '')?.[1];
}

/**
 * Authentication for every route registered after it in its scope (the /v1 routes). Every request
 * checks its key against the database, or a check of that key made in the last second
 * (api-keys.ts KEY_CHECK_FRESH_MS), so a revoked key stops working at once in the process that revoked
 * it and within a second in the others.
 */
export default fp(async (app) => {
  app.decorateRequest('principal', null as unknown as Principal);

  app.decorateRequest('inClient', async function inClient<T>(this: FastifyRequest, clientId: string, work: (em: EntityManager) => Promise<T>) {
    const { principal } = this;
    ensureMayActFor(principal, clientId);
    return withClient(this.em, clientId, async (em) => {
      if (principal.role === 'operator') {
        // A client key's own client exists (keys cascade with it); an operator may name any id.
        const [client] = await em.execute('select 1 from clients where id = ?', [clientId]);
        if (!client) throw notFound('client');
      }
      return work(em);
    });
  });

  app.decorateRequest('readAsClient', async function readInClient<T>(this: FastifyRequest, clientId: string, query: string, arg: string) {
    ensureMayActFor(this.principal, clientId);
    const found = await readAsClient<T>(this.em, clientId, query, arg);
    // Nothing found: for an operator, say which of the two ids names nothing (a client key's own client exists).
    if (found === null && this.principal.role === 'operator') await this.inClient(clientId, async () => undefined);
    return found;
  });

  app.decorateRequest('asOperator', async function runAsOperator<T>(this: FastifyRequest, work: (em: EntityManager) => Promise<T>) {
    if (this.principal.role !== 'operator') throw forbidden('this operation needs an operator key');
    return asOperator(this.em, work);
  });

  app.addHook('onRequest', async (request) => {
    if (request.headers.authorization === undefined) throw unauthorized('send Authorization: Bearer <API key>');
    const key = bearerKey(request);
    if (!key) throw unauthorized('the Authorization header must be "Bearer <API key>"');
    const principal = await authenticate(request.em, key);
    if (!principal) throw unauthorized('unknown or revoked API key');
    request.principal = principal;
  });
}, { name: 'auth', dependencies: ['orm'] });
