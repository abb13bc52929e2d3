import type { FastifyReply } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { withClient } from '../../domain/db/tenancy';
import { type GiveClaims, readGiveToken } from '../../domain/giving/give-token';
import { MoneyError, chargeIncrement, formatMoney, toMinorUnits } from '../../domain/money';
import { type FieldError, invalid } from '../problem';
import { problems, text } from '../schemas/common';
import { type GiveFrequency, startCheckout } from '../services/giving/checkout';
import { type GiveTarget, loadGiveTarget } from '../services/giving/give-page';
import { type PageOptions, HtmlPage, publicBase, wantsHtml } from './common';
import { type Amount, givePage, messagePage } from './render';

const TokenParams = z.strictObject({
  token: text().min(1).max(1000).describe('The signed token of the give link in a campaign email'),
});
/** Links get tracking parameters appended (utm_source, ...); none of them changes what the page does. */
const ANY_QUERY = z.object({});
export const GiveForm = z.object({
  _csrf: text().max(500).optional().describe('The CSRF token of the page the form came from'),
  amount: text().max(20).optional().describe('A suggested amount in minor units of the page\'s currency, or `custom`'),
  custom_amount: text().max(30).optional().describe('With amount=custom: the amount in major units (e.g. 42.50)'),
  frequency: text().max(10).optional().describe('`once` (a one-time gift, default) or `monthly`'),
}).nullish();
const tags = ['give'];
type LinkState = NonNullable<ReturnType<typeof readGiveToken>>['state'];
/** What the page tells a donor whose gift cannot be attributed to the email, by what the link turned out to be. */
const UNATTRIBUTED_NOTICE: Record<LinkState, (organisation: string) => string> = {
  valid: (organisation) => `The campaign this link came from has ended, but you can still give to ${organisation} here.`,
  expired: (organisation) => `This link from an earlier email has expired, but you can still give to ${organisation} here.`,
  unverified: (organisation) => `This link could not be checked (it may have been changed on its way to you), but you can still give to ${organisation} here.`,
};
/** Stripe's largest charge is 99,999,999 minor units (eight digits) in most currencies. */
const MAX_MINOR = 99_999_999;

/**
 * The donor's give page, outside /v1: a signed link from a campaign email (domain/giving/give-token.ts) opens a
 * server-rendered form (api/pages/render.ts) with the donor's ask ladder (domain/giving/ask-ladder.ts), another
 * amount, one-time or monthly, in the client's currency; posting it starts a Stripe Checkout Session
 * (services/giving/checkout.ts) and answers 303 to its URL.
 * - An expired link still gives: to the organisation, unattributed, with the default ladder.
 * - So does a link whose signature fails (forged, altered) but whose payload names an existing client: the
 *   organisation's own unattributed page, trusting the link for nothing else (no campaign, step or donor).
 * - A link that names no organisation (cut short, unreadable, unknown client): a neutral page says so,
 *   200, never an error page.
 * - A browser (Accept: text/html) gets refusals as the page again with the reason; other clients get
 *   problem+json naming the field.
 */
const givePages: FastifyPluginAsyncZod<PageOptions> = async (app, options) => {
  const read = (token: string) => readGiveToken(token, options.secret, Date.now());
  const target = async (claims: GiveClaims, current: boolean) =>
    withClient(app.orm.em.fork(), claims.clientId, (em) => loadGiveTarget(em, claims, current));

  const neutral = (reply: FastifyReply) => reply.type('text/html; charset=utf-8').send(messagePage('This link does not work', [
    'The link you followed is incomplete or was changed after it was sent, so we cannot tell which organisation it is for.',
    'Please use the link in the organisation\'s latest email, or visit their website to give.',
  ], reply.cspNonce.style));

  const form = (reply: FastifyReply, found: GiveTarget, link: LinkState, state: { amount?: string; custom?: string; monthly?: boolean; errors?: string[] }) => {
    const amounts: Amount[] = found.ladder.map((minor, index) => ({
      value: String(minor), label: formatMoney(minor, found.currency),
      checked: state.amount === undefined ? index === 1 : state.amount === String(minor),
    }));
    return reply.type('text/html; charset=utf-8').send(givePage({
      title: `Give to ${found.organisation}`, organisation: found.organisation, headline: found.headline, summary: found.summary,
      currency: found.currency.toUpperCase(), amounts, customChecked: state.amount === 'custom', customValue: state.custom ?? '',
      monthly: state.monthly ?? false, csrfToken: reply.generateCsrf(), errors: state.errors ?? [],
      unattributedNotice: found.attribution === null ? UNATTRIBUTED_NOTICE[link](found.organisation) : null,
    }, reply.cspNonce.style));
  };

  app.get('/give/:token', {
    schema: {
      summary: 'The give page of a give link: the donor\'s ask ladder, another amount, one-time or monthly (changes nothing)', tags,
      params: TokenParams, querystring: ANY_QUERY, response: { 200: HtmlPage, ...problems(400, 429, 500, 503) },
    },
  }, async (request, reply) => {
    const reading = read(request.params.token);
    const found = reading && await target(reading.claims, reading.state === 'valid');
    if (!found) return neutral(reply);
    return form(reply, found, reading.state, {});
  });

  app.post('/give/:token', {
    schema: {
      summary: 'Starts a Stripe Checkout Session for the chosen gift and answers 303 to it (one session per link, amount and frequency)', tags,
      params: TokenParams, querystring: ANY_QUERY, body: GiveForm, consumes: ['application/x-www-form-urlencoded'],
      response: { 200: HtmlPage, 303: z.null().describe('To the Stripe Checkout page (Location)'), ...problems(400, 403, 413, 415, 429, 500, 502, 503) },
    },
    preHandler: app.csrfProtection,
  }, async (request, reply) => {
    const { token } = request.params;
    const reading = read(token);
    const found = reading && await target(reading.claims, reading.state === 'valid');
    if (!found) return neutral(reply);
    const body = request.body ?? {};
    const gift = readGift(body, found.currency);
    if ('errors' in gift) {
      if (!wantsHtml(request)) throw invalid(gift.errors);
      (reply as FastifyReply).code(400); // the form again, with what to fix (400 is also documented as problem+json for non-browsers)
      return form(reply, found, reading.state, { amount: body.amount, custom: body.custom_amount, monthly: body.frequency === 'monthly', errors: gift.errors.map((e) => e.message) });
    }
    const base = publicBase(request, options.publicBaseUrl);
    const url = await startCheckout((work) => withClient(app.orm.em.fork(), found.clientId, work), app.stripe, {
      target: found, token, amount: gift.amount, frequency: gift.frequency,
      successUrl: `${base}/give/thanks?session_id={CHECKOUT_SESSION_ID}`, cancelUrl: `${base}/give/${token}`,
    });
    return reply.redirect(url, 303);
  });

  app.get('/give/thanks', {
    schema: { summary: 'Where Stripe Checkout returns the donor after a gift', tags, querystring: ANY_QUERY, response: { 200: HtmlPage, ...problems(429, 500) } },
  }, async (_request, reply) => reply.type('text/html; charset=utf-8').send(messagePage('Thank you for your gift', [
    'Your payment is being confirmed. A receipt will arrive by email shortly.',
  ], reply.cspNonce.style)));
};

/** The amount (minor units) and frequency a form asks for, or what is wrong with it, per field. */
export function readGift(body: NonNullable<z.output<typeof GiveForm>>, currency: string): { amount: number; frequency: GiveFrequency } | { errors: FieldError[] } {
  const errors: FieldError[] = [];
  const frequency = body.frequency ?? 'once';
  if (frequency !== 'once' && frequency !== 'monthly') errors.push({ field: 'body.frequency', message: 'choose one time or every month' });
  let amount: number | null = null;
  if (body.amount === undefined) errors.push({ field: 'body.amount', message: 'choose an amount' });
  else if (body.amount === 'custom') {
    try {
      amount = toMinorUnits((body.custom_amount ?? '').replace(/,/g, ''), currency);
    } catch (error) {
      errors.push({ field: 'body.custom_amount', message: error instanceof MoneyError ? `enter an amount such as 42 or 42.50: ${error.message}` : 'enter an amount' });
    }
  } else if ((body.custom_amount ?? '').trim() !== '') {
    // Without scripts the page cannot tick "Another amount" for a donor who types one: never charge a
    // suggested amount the donor may have meant to replace; ask instead.
    errors.push({ field: 'body.custom_amount', message: 'you typed another amount but a suggested amount is chosen: choose "Another amount" to give what you typed, or clear it' });
  } else if (/^\d{1,9}$/.test(body.amount)) amount = Number(body.amount);
  else errors.push({ field: 'body.amount', message: 'choose one of the amounts, or another amount' });
  if (amount !== null) {
    const unit = toMinorUnits(1, currency);
    const field = body.amount === 'custom' ? 'body.custom_amount' : 'body.amount';
    if (amount < unit) errors.push({ field, message: `the smallest gift is ${formatMoney(unit, currency)}` });
    else if (amount > MAX_MINOR) errors.push({ field, message: `the largest gift here is ${formatMoney(MAX_MINOR, currency)}` });
    else if (amount % chargeIncrement(currency) !== 0) errors.push({ field, message: `${currency.toUpperCase()} gifts are charged in steps of ${formatMoney(chargeIncrement(currency), currency)}` });
  }
  return errors.length > 0 || amount === null ? { errors } : { amount, frequency: frequency as GiveFrequency };
}


export default givePages;
