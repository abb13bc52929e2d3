import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { AUTHENTICATED_ERRORS, ClientParams, DonorParams, pageOf, problems } from '../../schemas/common';
import { Journey, JourneyAnalytics, JourneyAnalyticsQuery, JourneyQuery } from '../../schemas/journeys';
import { donorJourney, journeyAnalytics } from '../../services/donors/journeys';

const tags = ['journeys'];

/** Issue 18 item 1: the journeys the product keeps (domain/journeys.ts), read through the API. */
const journeyRoutes: FastifyPluginAsyncZod = async (app) => {
  app.get('/clients/:clientId/journeys/analytics', {
    schema: {
      summary: 'Seed 001\'s journey analytics: per stage and source, donors, donors who entered the stage in the last 30 days, and average days from lead to first gift', tags,
      params: ClientParams, querystring: JourneyAnalyticsQuery,
      response: { 200: JourneyAnalytics, ...problems(...AUTHENTICATED_ERRORS, 404) },
    },
  }, (request) => request.inClient(request.params.clientId, (em) => journeyAnalytics(em, request.params.clientId, request.query.since)));

  app.get('/clients/:clientId/donors/:donorId/journey', {
    schema: {
      summary: 'A donor\'s journey: current stage, first-gift attribution, and the stage transitions oldest first (paged)', tags,
      params: DonorParams, querystring: JourneyQuery,
      response: { 200: Journey, ...problems(...AUTHENTICATED_ERRORS, 404) },
    },
  }, async (request) => {
    const { items, ...journey } = await request.inClient(request.params.clientId, (em) => donorJourney(em, request.params.donorId, request.query));
    return { ...journey, ...pageOf(items, request.query) };
  });
};

export default journeyRoutes;
