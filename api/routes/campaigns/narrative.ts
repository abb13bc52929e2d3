import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { AUTHENTICATED_ERRORS, BODY_ERRORS, CampaignParams, PageQuery, page, pageOfAll, problems } from '../../schemas/common';
import { Step, StepParams, StepPatch, StepsReplace } from '../../schemas/narrative';
import { requireCampaign } from '../../services/campaigns/campaign-guard';
import { listSteps, patchStep, replaceSteps } from '../../services/campaigns/narrative-steps';

const tags = ['campaigns'];
/** A replace answers with all fifteen steps, in the envelope a list has. */
const Steps = page(Step);

/** The fifteen touchpoints of a Track15 campaign; editable until the campaign is activated. */
const narrativeRoutes: FastifyPluginAsyncZod = async (app) => {
  app.get('/clients/:clientId/campaigns/:campaignId/steps', {
    schema: {
      summary: 'The campaign\'s narrative steps, in order (fifteen: one page by default)', tags,
      params: CampaignParams, querystring: PageQuery,
      response: { 200: Steps, ...problems(...AUTHENTICATED_ERRORS, 404) },
    },
  }, (request) => request.inClient(request.params.clientId, async (em) => {
    await requireCampaign(em, request.params.campaignId);
    return pageOfAll(await listSteps(em, request.params.campaignId), request.query);
  }));

  app.put('/clients/:clientId/campaigns/:campaignId/steps', {
    schema: {
      summary: 'Replace all fifteen steps; the arc and every template are checked before anything is saved', tags,
      params: CampaignParams, body: StepsReplace,
      response: { 200: Steps, ...problems(...BODY_ERRORS, 404, 409) },
    },
  }, (request) => {
    const { clientId, campaignId } = request.params;
    return request.inClient(clientId, async (em) => ({ items: await replaceSteps(em, clientId, campaignId, request.body.steps), next_offset: null }));
  });

  app.patch('/clients/:clientId/campaigns/:campaignId/steps/:stepNumber', {
    schema: {
      summary: 'Change one step (its texts, day, channel or segment customization)', tags,
      params: StepParams, body: StepPatch,
      response: { 200: Step, ...problems(...BODY_ERRORS, 404, 409) },
    },
  }, (request) => request.inClient(request.params.clientId, (em) => patchStep(em, request.params.campaignId, request.params.stepNumber, request.body)));
};

export default narrativeRoutes;
