import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { type OutboundPolicy, outboundUrlRefusal } from '../../domain/outbound-url';
import { invalid } from '../problem';
import { AUTHENTICATED_ERRORS, BODY_ERRORS, ClientParams, PageQuery, pageOf, problems } from '../schemas/common';
import {
  BudgetAlert, BudgetAlertPage, BudgetAlertParams, BudgetAlertSettings, BudgetAlertSettingsPut, BudgetAlertsParams,
} from '../schemas/profiles/budget-alerts';
import {
  getAlertSettings, getBudgetAlert, listBudgetAlerts, putAlertSettings, rollAlertSecret,
} from '../services/profiles/budget-alerts';

const tags = ['budgets'];

/**
 * Budget alerts reach someone (issue 15 item 7): where they go, and what became of each. A threshold
 * fires once per budget and period (activities/delivery/budget-spend.ts); its delivery workflow
 * (workflows/budget-alert.ts) emails the address and POSTs the signed webhook, retrying for a day.
 */
export interface BudgetAlertRoutesOptions {
  /** Where webhook URLs may point (OUTBOUND_WEBHOOKS_ALLOW_PRIVATE); the worker checks again when it calls. */
  outbound: OutboundPolicy;
}

const budgetAlertRoutes: FastifyPluginAsyncZod<BudgetAlertRoutesOptions> = async (app, options) => {
  app.get('/clients/:clientId/budget-alert-settings', {
    schema: {
      summary: 'Where the client\'s budget alerts go (email, webhook URL) and the secret webhook deliveries are signed with; 404 until set', tags,
      params: ClientParams, response: { 200: BudgetAlertSettings, ...problems(...AUTHENTICATED_ERRORS, 404) },
    },
  }, (request) => request.inClient(request.params.clientId, (em) => getAlertSettings(em)));

  app.put('/clients/:clientId/budget-alert-settings', {
    schema: {
      summary: 'Set where budget alerts go: an address for the email, an https URL for the signed webhook, not at a private, loopback or link-local address (null turns a channel off). The signing secret is made on the first set (201) and kept after (200)', tags,
      params: ClientParams, body: BudgetAlertSettingsPut,
      response: { 200: BudgetAlertSettings, 201: BudgetAlertSettings, ...problems(...BODY_ERRORS, 404) },
    },
  }, async (request, reply) => {
    const { clientId } = request.params;
    const refusal = request.body.webhook_url === null ? null : outboundUrlRefusal(request.body.webhook_url, options.outbound);
    if (refusal) throw invalid([{ field: 'body.webhook_url', message: refusal }]);
    const { settings, created } = await request.inClient(clientId, (em) => putAlertSettings(em, clientId, request.principal.keyId, request.body));
    return reply.code(created ? 201 : 200).send(settings);
  });

  app.post('/clients/:clientId/budget-alert-settings/roll-secret', {
    schema: {
      summary: 'Replace the webhook signing secret: deliveries from now on (retries included) are signed with the new one', tags,
      params: ClientParams, response: { 200: BudgetAlertSettings, ...problems(...AUTHENTICATED_ERRORS, 404) },
    },
  }, (request) => request.inClient(request.params.clientId, (em) => rollAlertSecret(em, request.principal.keyId)));

  app.get('/clients/:clientId/budgets/:budgetId/alerts', {
    schema: {
      summary: 'The budget\'s fired alerts, newest first, each with its email and webhook delivery state and attempts', tags,
      params: BudgetAlertsParams, querystring: PageQuery, response: { 200: BudgetAlertPage, ...problems(...AUTHENTICATED_ERRORS, 404) },
    },
  }, async (request) => pageOf(await request.inClient(request.params.clientId, (em) => listBudgetAlerts(em, request.params.budgetId, request.query)), request.query));

  app.get('/clients/:clientId/budget-alerts/:alertId', {
    schema: {
      summary: 'One fired budget alert with its delivery state and attempts', tags,
      params: BudgetAlertParams, response: { 200: BudgetAlert, ...problems(...AUTHENTICATED_ERRORS, 404) },
    },
  }, (request) => request.inClient(request.params.clientId, (em) => getBudgetAlert(em, request.params.alertId)));
};

export default budgetAlertRoutes;
