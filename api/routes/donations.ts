import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { AUTHENTICATED_ERRORS, BODY_ERRORS, ClientParams, pageOf, problems } from '../schemas/common';
import { Donation, DonationCreate, DonationPage, DonationQuery } from '../schemas/donations';
import { listDonations, recordDonation } from '../services/donations';

const tags = ['donations'];

const donationRoutes: FastifyPluginAsyncZod = async (app) => {
  app.post('/clients/:clientId/donations', {
    schema: {
      summary: 'Record an offline gift', tags,
      params: ClientParams, body: DonationCreate,
      response: { 201: Donation, ...problems(...BODY_ERRORS, 404) },
    },
  }, async (request, reply) => {
    const { clientId } = request.params;
    return reply.code(201).send(await request.inClient(clientId, (em) => recordDonation(em, clientId, request.body)));
  });

  app.get('/clients/:clientId/donations', {
    schema: {
      summary: 'List gifts, by donor, campaign or status', tags,
      params: ClientParams, querystring: DonationQuery,
      response: { 200: DonationPage, ...problems(...AUTHENTICATED_ERRORS, 404) },
    },
  }, async (request) => pageOf(await request.inClient(request.params.clientId, (em) => listDonations(em, request.query)), request.query));
};

export default donationRoutes;
