import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { FastifyRequest } from 'fastify';
import { activateCampaign, pauseCampaign, resumeCampaign, stopCampaign } from '../../../workflows/campaigns/lifecycle';
import { conflict } from '../../problem';
import { AUTHENTICATED_ERRORS, BODY_ERRORS, CampaignParams, problems } from '../../schemas/common';
import { Activation, LiveStatus, PauseBody, StatusQuery, StopBody, WorkflowStatus } from '../../schemas/lifecycle';
import { requireCampaign } from '../../services/campaigns/campaign-guard';
import { ensureMayActFor } from '../../plugins/auth';
import { askWorkflow, describeExecution, forgetStoredStatus, storedStatus, workflowStatusView } from '../../services/campaigns/campaign-status';

const tags = ['lifecycle'];

/**
 * The workflow is addressed by campaign id alone, so the campaign is first looked up in the caller's
 * client (404 for anyone else's) and must have been activated.
 */
async function requireLaunched(request: FastifyRequest, { clientId, campaignId }: { clientId: string; campaignId: string }): Promise<void> {
  const campaign = await request.inClient(clientId, (em) => requireCampaign(em, campaignId));
  if (!campaign.track15_activated_at) throw conflict('the campaign has not been activated', { reasons: [`stage is ${campaign.track15_stage ?? 'none'}`] });
}

/** A lifecycle command's answer, once it is done; it changed what the status shows, so this process's callers see it at once. */
async function commanded<T>({ clientId, campaignId }: { clientId: string; campaignId: string }, command: Promise<T>): Promise<T> {
  try {
    return await command;
  } finally {
    forgetStoredStatus(clientId, campaignId);
  }
}

const lifecycleRoutes: FastifyPluginAsyncZod = async (app) => {
  const commandErrors = problems(...AUTHENTICATED_ERRORS, 404, 409);

  app.post('/clients/:clientId/campaigns/:campaignId/activate', {
    schema: {
      summary: 'Activate a Track15 campaign: freezes the audience and starts its workflow (idempotent); 409 lists what is missing', tags,
      params: CampaignParams,
      response: { 200: Activation, ...commandErrors },
    },
  }, async (request) => {
    const { clientId, campaignId } = request.params;
    await request.inClient(clientId, (em) => requireCampaign(em, campaignId));
    const started = await commanded(request.params, activateCampaign(app.lifecycle, clientId, campaignId));
    return { workflow_id: started.workflowId, run_id: started.runId ?? null, already_active: started.alreadyActive };
  });

  app.post('/clients/:clientId/campaigns/:campaignId/pause', {
    schema: {
      summary: 'Pause the arc: no new sends start; resume shifts the rest of the schedule. The body may be left out', tags,
      params: CampaignParams, body: PauseBody,
      response: { 200: WorkflowStatus, ...problems(...BODY_ERRORS, 404, 409) },
    },
  }, async (request) => {
    await requireLaunched(request, request.params);
    return workflowStatusView(await commanded(request.params, pauseCampaign(app.lifecycle, request.params.campaignId, request.body.reason)));
  });

  app.post('/clients/:clientId/campaigns/:campaignId/resume', {
    schema: { summary: 'Resume a paused arc', tags, params: CampaignParams, response: { 200: WorkflowStatus, ...commandErrors } },
  }, async (request) => {
    await requireLaunched(request, request.params);
    return workflowStatusView(await commanded(request.params, resumeCampaign(app.lifecycle, request.params.campaignId)));
  });

  app.post('/clients/:clientId/campaigns/:campaignId/stop', {
    schema: {
      summary: 'Stop the arc for good, with a reason; analytics are still computed', tags,
      params: CampaignParams, body: StopBody,
      response: { 200: WorkflowStatus, ...problems(...BODY_ERRORS, 404, 409) },
    },
  }, async (request) => {
    await requireLaunched(request, request.params);
    return workflowStatusView(await commanded(request.params, stopCampaign(app.lifecycle, request.params.campaignId, request.body.reason)));
  });

  app.get('/clients/:clientId/campaigns/:campaignId/status', {
    schema: {
      summary: 'Campaign status: the campaign row, audience, per-step delivery counters and what Temporal\'s describe holds of the run (stage, current step, next due time, last failure); with ?live=true also the workflow\'s own status query', tags,
      params: CampaignParams, querystring: StatusQuery,
      response: { 200: LiveStatus, ...problems(...AUTHENTICATED_ERRORS, 404) },
    },
  }, async (request) => {
    const { clientId, campaignId } = request.params;
    ensureMayActFor(request.principal, clientId);
    const stored = await storedStatus((query, arg) => request.readAsClient(clientId, query, arg), clientId, campaignId);
    if (!stored.activated_at) {
      return { ...stored, current_step: null, next_step: null, next_due_at: null, live: 'not_activated' as const, execution: null, workflow: null };
    }
    // The describe (bounded by its deadline) and, when asked for, the live query run side by side.
    const [described, asked] = await Promise.all([
      describeExecution(app.temporal, campaignId),
      request.query.live === 'true' ? askWorkflow(app.temporal, campaignId) : Promise.resolve({ workflow: null }),
    ]);
    const execution = described.execution;
    return {
      ...stored,
      // The database's record wins; a failure only the memo holds (its database write was refused too) still shows.
      last_failure: stored.last_failure ?? execution?.last_failure ?? null,
      current_step: execution?.current_step ?? null,
      next_step: asked.workflow?.next_step ?? execution?.next_step ?? null,
      next_due_at: asked.workflow?.next_due_at ?? execution?.next_due_at ?? null,
      live: described.live,
      execution: execution && {
        status: execution.status, stage: execution.stage, current_step: execution.current_step, next_step: execution.next_step, next_due_at: execution.next_due_at,
      },
      ...(described.live === 'unavailable' ? { live_error: described.live_error } : {}),
      ...asked,
    };
  });
};

export default lifecycleRoutes;
