import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { ApiKey, ApiKeyCreate, ApiKeyParams, Client, ClientCreate, ClientUpdate, IssuedApiKey, OperatorKeyParams } from '../schemas/clients';
import { AUTHENTICATED_ERRORS, BODY_ERRORS, ClientParams, PageQuery, page, pageOf, problems } from '../schemas/common';
import { type ApiKeyRow, forgetKeyChecks, issueKey, listKeys, revokeKey } from '../services/api-keys';
import { reportActivationPlan, startClientActivation } from '../../workflows/activation/activation-lifecycle';
import { createClient, getClient, listClients, updateClient } from '../services/clients';

const tags = ['clients'];

/** Clients are created and listed by operators; a client key sees its own client and manages its own keys. */
/** The revoked key, once its revocation has committed: from then on no request through this process passes with it. */
function revoked(key: ApiKeyRow): ApiKeyRow {
  forgetKeyChecks();
  return key;
}

const clientRoutes: FastifyPluginAsyncZod = async (app) => {
  app.post('/clients', {
    schema: {
      summary: 'Create a client (operator only) with its activation token, and start its activation workflow client-activation-<id> (reminder, expiry)', tags,
      body: ClientCreate,
      response: { 201: Client, ...problems(...BODY_ERRORS, 403, 503) },
    },
  }, async (request, reply) => reply.code(201).send(await request.asOperator(async (em) => {
    const client = await createClient(em, request.body);
    // Inside the transaction: a Temporal outage (503) leaves no client without its activation workflow.
    await startClientActivation(app.lifecycle, client.id, client.name);
    return client;
  })));

  app.get('/clients', {
    schema: {
      summary: 'List clients (operator only)', tags,
      querystring: PageQuery,
      response: { 200: page(Client), ...problems(...AUTHENTICATED_ERRORS, 403) },
    },
  }, async (request) => pageOf(await request.asOperator((em) => listClients(em, request.query)), request.query));

  app.get('/clients/:clientId', {
    schema: { summary: 'Get a client', tags, params: ClientParams, response: { 200: Client, ...problems(...AUTHENTICATED_ERRORS, 404) } },
  }, (request) => request.inClient(request.params.clientId, (em) => getClient(em, request.params.clientId)));

  app.patch('/clients/:clientId', {
    schema: {
      summary: 'Change a client\'s name, metadata, activation settings or sender identity (From, Reply-To, CAN-SPAM postal address); 409 when a running campaign would be left without From or postal address', tags,
      params: ClientParams, body: ClientUpdate,
      response: { 200: Client, ...problems(...BODY_ERRORS, 404, 409) },
    },
  }, async (request) => {
    const client = await request.inClient(request.params.clientId, (em) => updateClient(em, request.params.clientId, request.body));
    const timing = request.body.activation ?? {};
    if ((timing.reminder_after_days !== undefined || timing.expires_after_days !== undefined) && !await reportActivationPlan(app.temporal, client.id)) {
      request.log.warn({ clientId: client.id }, 'the activation workflow did not hear the new reminder or expiry setting');
    }
    return client;
  });

  app.post('/clients/:clientId/api-keys', {
    schema: {
      summary: 'Issue an API key for a client; the key is in this response only', tags,
      params: ClientParams, body: ApiKeyCreate,
      response: { 201: IssuedApiKey, ...problems(...BODY_ERRORS, 404) },
    },
  }, async (request, reply) => {
    const { clientId } = request.params;
    return reply.code(201).send(await request.inClient(clientId, (em) => issueKey(em, { clientId, name: request.body.name })));
  });

  app.get('/clients/:clientId/api-keys', {
    schema: {
      summary: 'List a client\'s API keys, oldest first, revoked ones included (never the keys themselves)', tags,
      params: ClientParams, querystring: PageQuery,
      response: { 200: page(ApiKey), ...problems(...AUTHENTICATED_ERRORS, 404) },
    },
  }, async (request) => pageOf(await request.inClient(request.params.clientId, (em) => listKeys(em, request.params.clientId, request.query)), request.query));

  app.delete('/clients/:clientId/api-keys/:keyId', {
    schema: { summary: 'Revoke a client\'s API key, effective immediately', tags, params: ApiKeyParams, response: { 200: ApiKey, ...problems(...AUTHENTICATED_ERRORS, 404) } },
  }, async (request) => revoked(await request.inClient(request.params.clientId, (em) => revokeKey(em, request.params.clientId, request.params.keyId))));

  app.post('/operator-keys', {
    schema: {
      summary: 'Issue an operator API key (operator only); the key is in this response only', tags,
      body: ApiKeyCreate,
      response: { 201: IssuedApiKey, ...problems(...BODY_ERRORS, 403) },
    },
  }, async (request, reply) => reply.code(201).send(await request.asOperator((em) => issueKey(em, { clientId: null, name: request.body.name }))));

  app.get('/operator-keys', {
    schema: {
      summary: 'List operator API keys, oldest first, revoked ones included (operator only)', tags,
      querystring: PageQuery,
      response: { 200: page(ApiKey), ...problems(...AUTHENTICATED_ERRORS, 403) },
    },
  }, async (request) => pageOf(await request.asOperator((em) => listKeys(em, null, request.query)), request.query));

  app.delete('/operator-keys/:keyId', {
    schema: { summary: 'Revoke an operator API key (operator only)', tags, params: OperatorKeyParams, response: { 200: ApiKey, ...problems(...AUTHENTICATED_ERRORS, 403, 404) } },
  }, async (request) => revoked(await request.asOperator((em) => revokeKey(em, null, request.params.keyId))));
};

export default clientRoutes;
