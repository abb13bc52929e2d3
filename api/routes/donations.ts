import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { AUTHENTICATED_ERRORS, BODY_ERRORS, ClientParams, pageOf, problems } from '../schemas/common';
import { Donation, DonationCreate, DonationPage, DonationParams, DonationQuery } from '../schemas/donations';
import { DonationIntent, DonationIntentCreate, Payment, PaymentPage, PaymentParams, PaymentQuery } from '../schemas/payments';
import { getDonation, listDonations, recordDonation } from '../services/donations';
import { createDonationIntent } from '../services/payments/payment-intents';
import { getPayment, listPayments } from '../services/payments/reads';
import { Receipt, ReceiptPage, ReceiptParams, ReceiptQuery } from '../schemas/receipts';
import { getReceipt, listReceipts } from '../services/giving/receipts';

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

  app.post('/clients/:clientId/donations/intents', {
    schema: {
      summary: 'Start an online gift: a Stripe PaymentIntent, created once per idempotency_key (the gift is recorded when Stripe confirms it)', tags,
      params: ClientParams, body: DonationIntentCreate,
      response: { 201: DonationIntent, 200: DonationIntent, ...problems(...BODY_ERRORS, 404, 409, 502) },
    },
  }, async (request, reply) => {
    const { clientId } = request.params;
    const intent = await createDonationIntent((work) => request.inClient(clientId, work), app.stripe, clientId, request.body);
    return reply.code(intent.replayed ? 200 : 201).send(intent);
  });

  app.get('/clients/:clientId/donations', {
    schema: {
      summary: 'List gifts, by donor, campaign or status', tags,
      params: ClientParams, querystring: DonationQuery,
      response: { 200: DonationPage, ...problems(...AUTHENTICATED_ERRORS, 404) },
    },
  }, async (request) => pageOf(await request.inClient(request.params.clientId, (em) => listDonations(em, request.query)), request.query));

  app.get('/clients/:clientId/donations/:donationId', {
    schema: {
      summary: 'Get a gift, with the online payment that recorded it', tags,
      params: DonationParams,
      response: { 200: Donation, ...problems(...AUTHENTICATED_ERRORS, 404) },
    },
  }, (request) => request.inClient(request.params.clientId, (em) => getDonation(em, request.params.donationId)));

  app.get('/clients/:clientId/payments', {
    schema: {
      summary: 'List online payments (Stripe PaymentIntents), newest first, by status or donor', tags,
      params: ClientParams, querystring: PaymentQuery,
      response: { 200: PaymentPage, ...problems(...AUTHENTICATED_ERRORS, 404) },
    },
  }, async (request) => pageOf(await request.inClient(request.params.clientId, (em) => listPayments(em, request.query)), request.query));

  app.get('/clients/:clientId/payments/:paymentId', {
    schema: {
      summary: 'Get an online payment: status, amount (major and minor units) and the gift it recorded', tags,
      params: PaymentParams,
      response: { 200: Payment, ...problems(...AUTHENTICATED_ERRORS, 404) },
    },
  }, (request) => request.inClient(request.params.clientId, (em) => getPayment(em, request.params.paymentId)));

  app.get('/clients/:clientId/receipts', {
    schema: {
      summary: 'List gift receipts, newest number first, by donor or year: number (gapless per client and year), amount, date, whether void (refunded) and the email\'s status', tags,
      params: ClientParams, querystring: ReceiptQuery,
      response: { 200: ReceiptPage, ...problems(...AUTHENTICATED_ERRORS, 404) },
    },
  }, async (request) => pageOf(await request.inClient(request.params.clientId, (em) => listReceipts(em, request.query)), request.query));

  app.get('/clients/:clientId/receipts/:receiptId', {
    schema: {
      summary: 'Get a gift receipt: number, amount (major and minor units), date, void once refunded, and the email\'s status', tags,
      params: ReceiptParams,
      response: { 200: Receipt, ...problems(...AUTHENTICATED_ERRORS, 404) },
    },
  }, (request) => request.inClient(request.params.clientId, (em) => getReceipt(em, request.params.receiptId)));
};

export default donationRoutes;
