import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { AUTHENTICATED_ERRORS, BODY_ERRORS, ClientParams, PageQuery, pageOf, problems } from '../../schemas/common';
import {
  CompareParams, CompareQuery, ContentVersion, ContentVersionPage, ContentVersionQuery, OutcomeSet, PAGE_TYPES, PageTypeParams, VersionComparison,
  VersionParams, VersionStatsList, contentVersionCreate,
} from '../../schemas/activation/content-versions';
import { compareVersions, pageTypeStats } from '../../services/activation/version-stats';
import {
  createContentVersion, getContentVersion, listContentVersions, makeContentVersionCurrent, setContentVersionOutcome,
} from '../../services/activation/content-versions';

const tags = ['activation'];

/**
 * Seed 003 / issue 16 item 1: the content versions of a client's activation pages. One create operation
 * per page type, so each documents and validates its own content shape; created_by and outcome_set_by
 * record the calling API key.
 */
const contentVersionRoutes: FastifyPluginAsyncZod = async (app) => {
  for (const pageType of PAGE_TYPES) {
    app.post(`/clients/:clientId/pages/${pageType}/versions`, {
      schema: {
        summary: `Create a version of the ${pageType} page, numbered next for this client and page type; make_current=true makes it the one served`, tags,
        params: ClientParams, body: contentVersionCreate(pageType),
        response: { 201: ContentVersion, ...problems(...BODY_ERRORS, 404) },
      },
    }, async (request, reply) => {
      const { clientId } = request.params;
      const row = await request.inClient(clientId, (em) => createContentVersion(em, clientId, pageType, request.principal.keyId, request.body));
      void reply.header('location', `/v1/clients/${clientId}/content-versions/${row.id}`);
      return reply.code(201).send(row);
    });
  }

  app.get('/clients/:clientId/pages/:pageType/versions', {
    schema: {
      summary: 'List one page type\'s versions, newest first, optionally only the current one or by outcome', tags,
      params: PageTypeParams, querystring: ContentVersionQuery,
      response: { 200: ContentVersionPage, ...problems(...AUTHENTICATED_ERRORS, 404) },
    },
  }, async (request) => pageOf(
    await request.inClient(request.params.clientId, (em) => listContentVersions(em, request.params.pageType, request.query)), request.query));

  app.get('/clients/:clientId/content-versions/:versionId', {
    schema: { summary: 'Get a content version', tags, params: VersionParams, response: { 200: ContentVersion, ...problems(...AUTHENTICATED_ERRORS, 404) } },
  }, (request) => request.inClient(request.params.clientId, (em) => getContentVersion(em, request.params.versionId)));

  app.post('/clients/:clientId/content-versions/:versionId/make-current', {
    schema: {
      summary: 'Make the version the one its page serves; the previous current version of that page type stops being current (exactly one, also under concurrent calls)', tags,
      params: VersionParams, response: { 200: ContentVersion, ...problems(...AUTHENTICATED_ERRORS, 404) },
    },
  }, (request) => request.inClient(request.params.clientId, (em) => makeContentVersionCurrent(em, request.params.versionId)));

  app.put('/clients/:clientId/content-versions/:versionId/outcome', {
    schema: {
      summary: 'Set whether the version worked (success, failure, pending) with a note; replaces an earlier judgement', tags,
      params: VersionParams, body: OutcomeSet, response: { 200: ContentVersion, ...problems(...BODY_ERRORS, 404) },
    },
  }, (request) => request.inClient(request.params.clientId,
    (em) => setContentVersionOutcome(em, request.params.versionId, request.principal.keyId, request.body.outcome, request.body.note)));

  app.get('/clients/:clientId/pages/:pageType/stats', {
    schema: {
      summary: 'Which version converts: per version of the page type, views (one per visitor per day), agreement acceptances and succeeded payments, with rates and 95% Wilson intervals', tags,
      params: PageTypeParams, querystring: PageQuery, response: { 200: VersionStatsList, ...problems(...AUTHENTICATED_ERRORS, 404) },
    },
  }, async (request) => pageOf(await request.inClient(request.params.clientId, (em) => pageTypeStats(em, request.params.pageType, request.query)), request.query));

  app.get('/clients/:clientId/content-versions/:versionId/compare/:otherVersionId', {
    schema: {
      summary: 'The version against a baseline of the same page type: difference of conversion, its 95% interval, lift and p-value (two-proportion z-test), and the outcome they suggest', tags,
      params: CompareParams, querystring: CompareQuery, response: { 200: VersionComparison, ...problems(...AUTHENTICATED_ERRORS, 404) },
    },
  }, (request) => request.inClient(request.params.clientId,
    (em) => compareVersions(em, request.params.versionId, request.params.otherVersionId, request.query.metric)));
};

export default contentVersionRoutes;
