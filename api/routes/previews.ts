import { randomUUID } from 'node:crypto';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { ComposerDeps } from '../../activities/delivery/compose';
import { previewStep } from '../../activities/previews/preview';
import { sendTest, startRehearsal } from '../../workflows/previews/test-sends-lifecycle';
import { AUTHENTICATED_ERRORS, BODY_ERRORS, CampaignParams, problems } from '../schemas/common';
import { StepParams } from '../schemas/narrative';
import { PreviewQuery, RehearsalBody, RehearsalStarted, StepPreview, TestSendBody, TestSendResult } from '../schemas/previews';
import { nextRehearsalNumber, previewContext, testSendTarget } from '../services/previews';

const tags = ['previews and tests'];

export interface PreviewRoutesOptions { composer: ComposerDeps }

/**
 * Seeing a campaign's mail before donors do: a step rendered for a donor (the real send's rendering, read
 * back), a step sent to test addresses, and the whole arc rehearsed to them. None of it reaches the
 * campaign's audience, ledger, stats or analytics.
 */
const previewRoutes: FastifyPluginAsyncZod<PreviewRoutesOptions> = async (app, { composer }) => {
  app.get('/clients/:clientId/campaigns/:campaignId/steps/:stepNumber/preview', {
    schema: {
      summary: 'A step exactly as it would go out to one donor (donor_id) or a sample donor of a segment (segment): subject, HTML and text with the sender footer, the give link and the donor\'s own unsubscribe link; 409 when the donor has no email address', tags,
      params: StepParams, querystring: PreviewQuery,
      response: { 200: StepPreview, ...problems(...AUTHENTICATED_ERRORS, 404, 409) },
    },
  }, async (request) => {
    const { clientId, campaignId, stepNumber } = request.params;
    const { context, reader } = await request.inClient(clientId, (em) => previewContext(em, { campaignId, stepNumber }, request.query));
    const preview = previewStep(composer, { clientId, campaignId, stepNumber }, context, reader);
    return {
      step_number: stepNumber, donor_id: reader.donorId, segment: reader.segment, to: preview.to, from: preview.from, reply_to: preview.replyTo,
      subject: preview.subject, html: preview.html, text: preview.text, headers: preview.headers, links: preview.links, sms: preview.sms,
      brand: context.brand && {
        name: context.brand.brandName, logo_url: context.brand.logoUrl, primary_color: context.brand.primaryColor, accent_color: context.brand.accentColor,
        voice: {
          brand_voice: context.brand.voice.brandVoice, tones: context.brand.voice.tones, notes: context.brand.voice.notes,
          messaging_pillars: context.brand.voice.messagingPillars, do: context.brand.voice.doList, dont: context.brand.voice.dontList,
        },
      },
    };
  });

  app.post('/clients/:clientId/campaigns/:campaignId/steps/:stepNumber/test-send', {
    schema: {
      summary: 'Send a step to test addresses only, marked as a test ([TEST] subject, category `test`), rendered for a donor, a sample donor of a segment, or a sample reader; never in the ledger, stats or analytics. 200 once SendGrid accepted it, 202 while it is still being retried', tags,
      params: StepParams, body: TestSendBody,
      response: { 200: TestSendResult, 202: TestSendResult, ...problems(...BODY_ERRORS, 404) },
    },
  }, async (request, reply) => {
    const { clientId, campaignId, stepNumber } = request.params;
    const reader = await request.inClient(clientId, (em) => testSendTarget(em, { campaignId, stepNumber }, request.body));
    const { workflowId, result } = await sendTest(app.lifecycle, {
      clientId, campaignId, stepNumber, addresses: request.body.addresses, reader,
    }, randomUUID());
    return reply.code(result ? 200 : 202).send({
      workflow_id: workflowId, status: result ? 'sent' : 'sending', subject: result?.subject ?? null,
      sent_to: result?.sentTo ?? [], refused: result?.refused ?? [],
    });
  });

  app.post('/clients/:clientId/campaigns/:campaignId/rehearsal', {
    schema: {
      summary: 'Rehearse the whole arc at a chosen pace, to test addresses only (its own workflow, campaign-rehearsal-<id>-<n>); the campaign\'s audience gets nothing, before, during or after activation', tags,
      params: CampaignParams, body: RehearsalBody,
      response: { 202: RehearsalStarted, ...problems(...BODY_ERRORS, 404, 409) },
    },
  }, async (request, reply) => {
    const { clientId, campaignId } = request.params;
    const { addresses, day_length_seconds: dayLengthSeconds } = request.body;
    const { number, reader } = await request.inClient(clientId, (em) => nextRehearsalNumber(em, campaignId, request.body));
    const { workflowId } = await startRehearsal(app.lifecycle, { clientId, campaignId, addresses, dayLengthSeconds, reader }, number);
    return reply.code(202).send({ workflow_id: workflowId, rehearsal_number: number });
  });
};

export default previewRoutes;
