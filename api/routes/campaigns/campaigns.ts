import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { Campaign, CampaignCreate, CampaignPage, CampaignParams, CampaignQuery, CampaignUpdate } from '../../schemas/campaigns';
import { AUTHENTICATED_ERRORS, BODY_ERRORS, ClientParams, pageOf, problems } from '../../schemas/common';
import { createCampaign, deleteCampaign, getCampaign, listCampaigns, updateCampaign } from '../../services/campaigns/campaigns';

const tags = ['campaigns'];

const campaignRoutes: FastifyPluginAsyncZod = async (app) => {
  app.post('/clients/:clientId/campaigns', {
    schema: {
      summary: 'Create a standard campaign, or a Track15 campaign from a season, a template and a core story', tags,
      params: ClientParams, body: CampaignCreate,
      response: { 201: Campaign, ...problems(...BODY_ERRORS, 404) },
    },
  }, async (request, reply) => {
    const { clientId } = request.params;
    return reply.code(201).send(await request.inClient(clientId, (em) => createCampaign(em, clientId, request.body)));
  });

  app.get('/clients/:clientId/campaigns', {
    schema: {
      summary: 'List campaigns, by Track15 stage or season', tags,
      params: ClientParams, querystring: CampaignQuery,
      response: { 200: CampaignPage, ...problems(...AUTHENTICATED_ERRORS, 404) },
    },
  }, async (request) => pageOf(await request.inClient(request.params.clientId, (em) => listCampaigns(em, request.query)), request.query));

  app.get('/clients/:clientId/campaigns/:campaignId', {
    schema: { summary: 'Get a campaign', tags, params: CampaignParams, response: { 200: Campaign, ...problems(...AUTHENTICATED_ERRORS, 404) } },
  }, (request) => request.inClient(request.params.clientId, (em) => getCampaign(em, request.params.campaignId)));

  app.patch('/clients/:clientId/campaigns/:campaignId', {
    schema: {
      summary: 'Update a campaign (Track15 settings only before activation; stage draft or ready_for_launch)', tags,
      params: CampaignParams, body: CampaignUpdate,
      response: { 200: Campaign, ...problems(...BODY_ERRORS, 404, 409) },
    },
  }, (request) => request.inClient(request.params.clientId, (em) => updateCampaign(em, request.params.campaignId, request.body)));

  app.delete('/clients/:clientId/campaigns/:campaignId', {
    schema: {
      summary: 'Delete a campaign (soft: it disappears from the API, its history stays); a running one must be stopped first', tags,
      params: CampaignParams,
      response: { 204: z.null().describe('Deleted'), ...problems(...AUTHENTICATED_ERRORS, 404, 409) },
    },
  }, async (request, reply) => {
    await request.inClient(request.params.clientId, (em) => deleteCampaign(em, request.params.campaignId));
    return reply.code(204).send(null);
  });
};

export default campaignRoutes;
