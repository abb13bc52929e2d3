import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { AUTHENTICATED_ERRORS, CampaignParams, problems } from '../schemas/common';
import { Analytics, Deliveries, DeliveryQuery } from '../schemas/reports';
import { requireCampaign } from '../services/campaigns/campaign-guard';
import { analyticsReport, deliveryReport } from '../services/reports';

const tags = ['campaigns'];

const reportRoutes: FastifyPluginAsyncZod = async (app) => {
  app.get('/clients/:clientId/campaigns/:campaignId/analytics', {
    schema: {
      summary: 'Control versus test: conversion, revenue, lift with confidence interval, segment breakdown, retention', tags,
      params: CampaignParams,
      response: { 200: Analytics, ...problems(...AUTHENTICATED_ERRORS, 404) },
    },
  }, (request) => request.inClient(request.params.clientId, async (em) => {
    await requireCampaign(em, request.params.campaignId);
    return analyticsReport(em, request.params.campaignId);
  }));

  app.get('/clients/:clientId/campaigns/:campaignId/deliveries', {
    schema: {
      summary: 'The delivery ledger, by donor, step and status ("why did donor X not get step 7")', tags,
      params: CampaignParams, querystring: DeliveryQuery,
      response: { 200: Deliveries, ...problems(...AUTHENTICATED_ERRORS, 404) },
    },
  }, (request) => request.inClient(request.params.clientId, async (em) => {
    await requireCampaign(em, request.params.campaignId);
    return deliveryReport(em, request.params.campaignId, request.query);
  }));
};

export default reportRoutes;
