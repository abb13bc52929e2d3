import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { AUTHENTICATED_ERRORS, BODY_ERRORS, ClientParams, DonorParams, pageOf, problems } from '../schemas/common';
import {
  Donor, DonorCreate, DonorPage, DonorQuery, NotificationPreference, NotificationPreferenceUpdate, PreferenceCategoryParams,
  RfmRecalculation, RfmResult,
} from '../schemas/donors';
import { recalculateRfm } from '../../activities/rfm-recalculation';
import { createDonor, getDonor, listDonors, requireDonor } from '../services/donors';
import { listPreferences, queueSuppressionSync, updatePreference } from '../services/notification-preferences';

const tags = ['donors'];

const donorRoutes: FastifyPluginAsyncZod = async (app) => {
  app.post('/clients/:clientId/donors', {
    schema: {
      summary: 'Create a donor', tags,
      params: ClientParams, body: DonorCreate,
      response: { 201: Donor, ...problems(...BODY_ERRORS, 404, 409) },
    },
  }, async (request, reply) => {
    const { clientId } = request.params;
    return reply.code(201).send(await request.inClient(clientId, (em) => createDonor(em, clientId, request.body)));
  });

  app.get('/clients/:clientId/donors', {
    schema: {
      summary: 'List donors, filtered by RFM segment, stage or a name/email search', tags,
      params: ClientParams, querystring: DonorQuery,
      response: { 200: DonorPage, ...problems(...AUTHENTICATED_ERRORS, 404) },
    },
  }, async (request) => pageOf(await request.inClient(request.params.clientId, (em) => listDonors(em, request.query)), request.query));

  app.get('/clients/:clientId/donors/:donorId', {
    schema: { summary: 'Get a donor', tags, params: DonorParams, response: { 200: Donor, ...problems(...AUTHENTICATED_ERRORS, 404) } },
  }, (request) => request.inClient(request.params.clientId, (em) => getDonor(em, request.params.donorId)));

  app.get('/clients/:clientId/donors/:donorId/notification-preferences', {
    schema: {
      summary: 'A donor\'s notification preferences, one per category (defaults where never set)', tags,
      params: DonorParams,
      response: { 200: z.object({ items: z.array(NotificationPreference) }), ...problems(...AUTHENTICATED_ERRORS, 404) },
    },
  }, (request) => request.inClient(request.params.clientId, async (em) => {
    await requireDonor(em, request.params.donorId, 'params.donorId');
    return { items: await listPreferences(em, request.params.donorId) };
  }));

  app.patch('/clients/:clientId/donors/:donorId/notification-preferences/:category', {
    schema: {
      summary: 'Change a donor\'s preferences for one category (unsubscribe, resubscribe, channels)', tags,
      params: PreferenceCategoryParams, body: NotificationPreferenceUpdate,
      response: { 200: NotificationPreference, ...problems(...BODY_ERRORS, 404) },
    },
  }, async (request) => {
    const { clientId, donorId, category } = request.params;
    const preference = await request.inClient(clientId, async (em) => {
      await requireDonor(em, donorId, 'params.donorId');
      return updatePreference(em, clientId, donorId, category, request.body);
    });
    await queueSuppressionSync(app.lifecycle, { clientId, donorId });
    return preference;
  });

  app.post('/clients/:clientId/rfm/recalculate', {
    schema: {
      summary: 'Recalculate RFM scores and segments now (one set-based statement for the client, or one donor)', tags,
      params: ClientParams, body: RfmRecalculation,
      response: { 200: RfmResult, ...problems(...BODY_ERRORS, 404) },
    },
  }, (request) => {
    const { clientId } = request.params;
    const asOf = new Date(request.body?.as_of ?? Date.now());
    const donorId = request.body?.donor_id ?? null;
    return request.inClient(clientId, async (em) => {
      if (donorId) await requireDonor(em, donorId, 'body.donor_id');
      return { donors_scored: await recalculateRfm(em, clientId, asOf, donorId), as_of: asOf.toISOString() };
    });
  });
};

export default donorRoutes;
