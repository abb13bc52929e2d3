import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { AudienceEstimate, AudienceEstimateQuery } from '../schemas/audience';
import { AUTHENTICATED_ERRORS, CampaignParams, problems } from '../schemas/common';
import { estimateAudience } from '../services/audience';

const tags = ['campaigns'];

/** Before a launch: who the saved audience filter selects, and whether the control group can show anything. */
const audienceRoutes: FastifyPluginAsyncZod = async (app) => {
  app.get('/clients/:clientId/campaigns/:campaignId/audience-estimate', {
    schema: {
      summary: 'Before activation: donors the audience filter selects, reachable by email, test/control and per-segment split, and the minimum detectable lift (80% power, 95% confidence) with a warning when the control group is too small; 409 once the audience is frozen', tags,
      params: CampaignParams, querystring: AudienceEstimateQuery,
      response: { 200: AudienceEstimate, ...problems(...AUTHENTICATED_ERRORS, 404, 409) },
    },
  }, (request) => request.inClient(request.params.clientId, (em) => estimateAudience(em, request.params.campaignId, request.query)));
};

export default audienceRoutes;
