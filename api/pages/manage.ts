import type { FastifyReply } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { withClient } from '../../domain/db/tenancy';
import { type ManageClaims, readManageToken } from '../../domain/giving/give-token';
import { problems, text } from '../schemas/common';
import { cancelRecurringGift, loadRecurringGift } from '../services/giving/recurring-gifts';
import { type PageOptions, HtmlPage } from './common';
import { formatMoney } from '../../domain/money';
import { managePage, messagePage } from './render';

const TokenParams = z.strictObject({
  token: text().min(1).max(1000).describe('The signed token of the manage link in a monthly-gift receipt'),
});
const ManageQuery = z.object({
  step: text().max(20).optional().describe('`confirm` shows the cancellation\'s confirmation step; other tracking parameters are ignored'),
});
const ConfirmForm = z.object({
  _csrf: text().max(500).optional().describe('The CSRF token of the confirmation page'),
  confirm: text().max(10).optional().describe('`yes`: the donor confirmed the cancellation'),
}).nullish();
const tags = ['give'];

/**
 * A monthly donor's page, from the signed manage link of each monthly receipt (domain/giving/give-token.ts):
 * shows the gift, and cancels it in two steps (a GET that only asks, then a POSTed confirmation, so a
 * link scanner never cancels anything). Cancelling cancels the Stripe subscription at once; the
 * customer.subscription.deleted webhook that follows finds it already cancelled.
 */
const managePages: FastifyPluginAsyncZod<PageOptions> = async (app, options) => {
  const inClient = <T>(claims: ManageClaims, work: Parameters<typeof withClient<T>>[2]) => withClient(app.orm.em.fork(), claims.clientId, work);
  const notUsable = (reply: FastifyReply, expired: boolean) => reply.type('text/html; charset=utf-8').send(messagePage(
    expired ? 'This link has expired' : 'This link does not work',
    [expired ? 'For your security, manage links work for a year. The link in your latest monthly receipt works, or contact the organisation.'
      : 'The link you followed is incomplete or was changed. Please use the link in your latest monthly receipt.'],
    reply.cspNonce.style));

  app.get('/manage/:token', {
    schema: {
      summary: 'A monthly gift\'s page; with step=confirm, the confirmation step of cancelling it (changes nothing)', tags,
      params: TokenParams, querystring: ManageQuery, response: { 200: HtmlPage, ...problems(400, 429, 500, 503) },
    },
  }, async (request, reply) => {
    const reading = readManageToken(request.params.token, options.secret, Date.now());
    if (reading?.state !== 'valid') return notUsable(reply, reading?.state === 'expired');
    const gift = await inClient(reading.claims, (em) => loadRecurringGift(em, reading.claims.recurringGiftId));
    if (!gift) return notUsable(reply, false);
    return reply.type('text/html; charset=utf-8').send(managePage({
      organisation: gift.organisation, amount: `${formatMoney(gift.amount, gift.currency)} a month`, status: gift.status,
      csrfToken: reply.generateCsrf(), confirm: request.query.step === 'confirm',
    }, reply.cspNonce.style));
  });

  app.post('/manage/:token', {
    schema: {
      summary: 'Cancels the monthly gift (its Stripe subscription) once the donor confirmed', tags,
      params: TokenParams, querystring: ManageQuery, body: ConfirmForm, consumes: ['application/x-www-form-urlencoded'],
      response: { 200: HtmlPage, ...problems(400, 403, 413, 415, 429, 500, 502, 503) },
    },
    preHandler: app.csrfProtection,
  }, async (request, reply) => {
    const reading = readManageToken(request.params.token, options.secret, Date.now());
    if (reading?.state !== 'valid') return notUsable(reply, reading?.state === 'expired');
    const { claims } = reading;
    const gift = await inClient(claims, (em) => loadRecurringGift(em, claims.recurringGiftId));
    if (!gift) return notUsable(reply, false);
    const cancelled = request.body?.confirm === 'yes'
      ? await cancelRecurringGift((work) => inClient(claims, work), app.stripe, gift)
      : gift;
    return reply.type('text/html; charset=utf-8').send(managePage({
      organisation: gift.organisation, amount: `${formatMoney(gift.amount, gift.currency)} a month`, status: cancelled.status,
      csrfToken: reply.generateCsrf(), confirm: cancelled.status === 'active',
    }, reply.cspNonce.style));
  });
};

export default managePages;
