import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { AUTHENTICATED_ERRORS, BODY_ERRORS, ClientParams, DonorParams, PageQuery, page, pageOf, pageOfAll, problems } from '../../schemas/common';
import {
  Donor, DonorCreate, DonorExport, DonorPage, DonorQuery, DonorUpdate, NotificationPreference, NotificationPreferenceUpdate, PreferenceCategoryParams,
  RfmRecalculation, RfmResult,
} from '../../schemas/donors';
import { recalculateRfm } from '../../../activities/rfm-recalculation';
import { baseVersionOf, withEtag } from '../../optimistic-lock';
import { createDonor, eraseDonor, exportDonor, getDonor, listDonors, requireDonor, updateDonor } from '../../services/donors/donors';
import { listPreferences, queueSuppressionSync, updatePreference } from '../../services/notification-preferences';

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
    schema: { summary: 'Get a donor, with its version as the ETag', tags, params: DonorParams, response: { 200: Donor, ...problems(...AUTHENTICATED_ERRORS, 404) } },
  }, async (request, reply) => withEtag(reply, await request.inClient(request.params.clientId, (em) => getDonor(em, request.params.donorId))));

  app.patch('/clients/:clientId/donors/:donorId', {
    schema: {
      summary: 'Correct a donor (only the fields named). Send If-Match with the ETag of your last read (or `version` in the body); a stale one answers 412 with `current_version`', tags,
      params: DonorParams, body: DonorUpdate,
      response: { 200: Donor, ...problems(...BODY_ERRORS, 404, 409, 412, 428) },
    },
  }, async (request, reply) => withEtag(reply, await request.inClient(request.params.clientId, async (em) => {
    await requireDonor(em, request.params.donorId, 'params.donorId');
    return updateDonor(em, request.params.donorId, baseVersionOf(request, request.body.version), request.body);
  })));

  app.post('/clients/:clientId/donors/:donorId/erase', {
    schema: {
      summary: 'Erase a donor\'s personal data on request: names, addresses, phone and metadata removed; gifts kept, anonymised; the address kept only as a hash on the client\'s suppression list', tags,
      params: DonorParams, response: { 200: Donor, ...problems(...AUTHENTICATED_ERRORS, 404) },
    },
  }, async (request, reply) => withEtag(reply, await request.inClient(request.params.clientId, (em) => eraseDonor(em, request.params.clientId, request.params.donorId))));

  app.get('/clients/:clientId/donors/:donorId/export', {
    schema: {
      summary: 'Everything held about one donor, as JSON (subject access request)', tags,
      params: DonorParams, response: { 200: DonorExport, ...problems(...AUTHENTICATED_ERRORS, 404) },
    },
  }, (request) => request.inClient(request.params.clientId, (em) => exportDonor(em, request.params.donorId)));

  app.get('/clients/:clientId/donors/:donorId/notification-preferences', {
    schema: {
      summary: 'A donor\'s notification preferences, one per category in a fixed order (defaults where never set)', tags,
      params: DonorParams, querystring: PageQuery,
      response: { 200: page(NotificationPreference), ...problems(...AUTHENTICATED_ERRORS, 404) },
    },
  }, (request) => request.inClient(request.params.clientId, async (em) => {
    await requireDonor(em, request.params.donorId, 'params.donorId');
    return pageOfAll(await listPreferences(em, request.params.donorId), request.query);
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
      summary: 'Score RFM now, the whole client in one set-based statement or one donor: how many donors were scored and how many changed. The body may be left out', tags,
      params: ClientParams, body: RfmRecalculation,
      response: { 200: RfmResult, ...problems(...BODY_ERRORS, 404) },
    },
  }, (request) => {
    const { clientId } = request.params;
    const asOf = new Date(request.body.as_of ?? Date.now());
    const donorId = request.body.donor_id ?? null;
    return request.inClient(clientId, async (em) => {
      if (donorId) await requireDonor(em, donorId, 'body.donor_id');
      const { scored, changed } = await recalculateRfm(em, clientId, asOf, donorId);
      return { donors_scored: scored, donors_changed: changed, as_of: asOf.toISOString() };
    });
  });
};

export default donorRoutes;
