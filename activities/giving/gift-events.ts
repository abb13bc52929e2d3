import type { EntityManager } from '@mikro-orm/postgresql';
import type Stripe from 'stripe';
import { reportingCurrency } from '../../domain/db/reporting-currency';
import { asOperator, withClient } from '../../domain/db/tenancy';
import { toDecimalString } from '../../domain/money';
import type { ActivityDeps } from '..';
import { recalculateRfm } from '../rfm-recalculation';
import { firstDelivery, ignoreStripeEvent, uuidOrNull } from '../payments/stripe-events';
import { issueReceipt } from './receipts';

/** Whom a gift is from and which touchpoint asked for it, as the give link's Checkout Session metadata names them ('' when unattributed). */
export interface GiftAttribution {
  clientId: string;
  campaignId: string | null;
  stepNumber: number | null;
  donorId: string | null;
  /** The address the donor gave Stripe Checkout: finds (or makes) the donor of an unattributed gift. */
  email: string | null;
  name: string | null;
}

/** The money of an event: minor units of `currency` (domain/money.ts), as Stripe counts. */
interface Money { amount: number; currency: string }

/**
 * One verified Stripe event of purpose `gift`, reduced to what recording it needs (small, for the
 * workflow history). Read from the event by api/services/giving/gift-events.ts.
 */
export type GiftEventInput = { eventId: string; occurredAt: string; attribution: GiftAttribution } & (
  /** checkout.session.completed (mode=payment, paid) or payment_intent.succeeded: a one-time gift. */
  | ({ kind: 'one_time'; paymentIntentId: string; chargedAt: string } & Money)
  /** checkout.session.completed (mode=subscription): a monthly gift starts; its invoices are its gifts. */
  | ({ kind: 'monthly_started'; subscriptionId: string } & Money)
  /** invoice.paid of a monthly gift's subscription: one month's gift. */
  | ({ kind: 'monthly_paid'; invoiceId: string; subscriptionId: string; paymentIntentId: string | null; paidAt: string } & Money)
  /** customer.subscription.deleted: the monthly gift ends (cancelled by the donor, the organisation or failed payments). */
  | ({ kind: 'monthly_ended'; subscriptionId: string; endedAt: string } & Money)
);

export interface GiftEventOutcome {
  applied: boolean;
  /** Why the event was acknowledged and left alone. */
  ignored: string | null;
  donationId: string | null;
  /** Receipts this event issued: the workflow emails each once (receipts.ts). */
  receiptIds: string[];
}

const NOTHING: GiftEventOutcome = { applied: false, ignored: null, donationId: null, receiptIds: [] };

/**
 * Records one gift event exactly once (its id is recorded in the same transaction as its effects), in
 * any order with the gift's other events: every write is an upsert on the provider's id (payment
 * intent, invoice, subscription) that fills what is missing and never moves a status back, so
 * checkout.session.completed, payment_intent.succeeded and a redelivery of either make one donation,
 * and each paid invoice of a monthly gift makes one more. A gift is attributed to the campaign, step
 * and donor its metadata names (when they still exist in the client), else to the donor with the
 * address given at checkout (made when unknown). Each new succeeded donation gets its receipt number
 * in the same transaction and the donor is rescored (RFM).
 */
export async function recordGiftEvent(deps: Pick<ActivityDeps, 'orm' | 'stripe'>, given: GiftEventInput): Promise<GiftEventOutcome> {
  const clientId = await knownClient(deps, given.attribution.clientId);
  if (!clientId) {
    const reason = 'a gift of no client of the product (metadata.client_id unknown)';
    return await ignoreStripeEvent(deps, given.eventId, reason) ? { ...NOTHING, ignored: reason } : NOTHING;
  }
  const event = given.kind === 'monthly_paid' && !given.paymentIntentId
    ? { ...given, paymentIntentId: await invoicePaymentIntent(deps.stripe, given.invoiceId) }
    : given;
  return withClient(deps.orm.em, clientId, async (em) => {
    if (!await firstDelivery(em, event.eventId, clientId)) return NOTHING;
    const currency = await reportingCurrency(em, clientId);
    if (event.currency !== currency) {
      return ignored(em, event.eventId, `a ${event.currency.toUpperCase()} gift is not a gift of a client that reports in ${currency?.toUpperCase()}`);
    }
    const attribution = await attribute(em, event.attribution);
    switch (event.kind) {
      case 'monthly_started':
        await upsertRecurringGift(em, clientId, attribution, event, 'active', null);
        return { ...NOTHING, applied: true };
      case 'monthly_ended':
        await upsertRecurringGift(em, clientId, attribution, event, 'cancelled', event.endedAt);
        return { ...NOTHING, applied: true };
      case 'one_time':
      case 'monthly_paid': {
        if (!attribution.donorId) return ignored(em, event.eventId, 'a gift with neither a donor in its metadata nor an email address');
        const recurringGiftId = event.kind === 'monthly_paid'
          ? await upsertRecurringGift(em, clientId, attribution, event, 'active', null)
          : null;
        const donatedAt = event.kind === 'one_time' ? event.chargedAt : event.paidAt;
        const payment = event.paymentIntentId ? await upsertPayment(em, clientId, attribution, event.paymentIntentId, event) : null;
        const donation = await upsertDonation(em, clientId, attribution, {
          ...event, donatedAt, paymentId: payment?.id ?? null, refunded: payment?.status === 'refunded', recurringGiftId,
          invoiceId: event.kind === 'monthly_paid' ? event.invoiceId : null,
        });
        const receiptId = donation.status === 'succeeded'
          ? await issueReceipt(em, { clientId, donationId: donation.id, donorId: attribution.donorId, recurringGiftId, amount: event.amount, currency: event.currency, donatedAt })
          : null;
        await recalculateRfm(em, clientId, new Date(), attribution.donorId);
        return { applied: true, ignored: null, donationId: donation.id, receiptIds: receiptId ? [receiptId] : [] };
      }
    }
  });
}

/**
 * The PaymentIntent that paid an invoice, asked of Stripe when the invoice.paid event does not include
 * `payments` (an includable field, not in the event's payload by default): the invoice's paid Invoice
 * Payment, else its default one (GET /v1/invoice_payments?invoice=, API reference "List all payments
 * for an invoice"), the intent expanded (its id either way); null when none names an intent. Stripe's errors throw, and the activity is retried.
 */
async function invoicePaymentIntent(stripe: Stripe, invoiceId: string): Promise<string | null> {
  const { data } = await stripe.invoicePayments.list({ invoice: invoiceId, expand: ['data.payment.payment_intent'] });
  const payment = data.find((p) => p.status === 'paid' && p.payment.payment_intent) ?? data.find((p) => p.is_default && p.payment.payment_intent);
  const intent = payment?.payment.payment_intent;
  return (typeof intent === 'string' ? intent : intent?.id) ?? null;
}

interface Attributed { campaignId: string | null; stepNumber: number | null; donorId: string | null }

async function knownClient(deps: Pick<ActivityDeps, 'orm'>, clientId: string): Promise<string | null> {
  const id = uuidOrNull(clientId);
  if (!id) return null;
  const [row] = await asOperator(deps.orm.em, (em) => em.execute<{ id: string }[]>('select id from clients where id = ?', [id]));
  return row?.id ?? null;
}

async function ignored(em: EntityManager, eventId: string, reason: string): Promise<GiftEventOutcome> {
  await em.execute(`update processed_webhook_events set outcome = 'ignored', ignored_reason = ? where provider = 'stripe' and event_id = ?`, [reason, eventId]);
  return { ...NOTHING, applied: true, ignored: reason };
}

/**
 * The campaign, step and donor a gift counts for: those its metadata names while they exist in this
 * client (the step only with its campaign); without a donor, the client's donor with the checkout's
 * address (case-insensitive), made as a new donor when there is none.
 */
async function attribute(em: EntityManager, given: GiftAttribution): Promise<Attributed> {
  const [found] = await em.execute<{ campaign_id: string | null; donor_id: string | null }[]>(
    `select (select id from campaigns where id = ?::uuid) as campaign_id, (select id from donors where id = ?::uuid) as donor_id`,
    [uuidOrNull(given.campaignId ?? undefined), uuidOrNull(given.donorId ?? undefined)]);
  const campaignId = found?.campaign_id ?? null;
  const stepNumber = campaignId && given.stepNumber && given.stepNumber >= 1 && given.stepNumber <= 15 ? given.stepNumber : null;
  if (found?.donor_id) return { campaignId, stepNumber, donorId: found.donor_id };
  if (!given.email) return { campaignId, stepNumber, donorId: null };
  const [known] = await em.execute<{ id: string }[]>(
    'select id from donors where lower(email) = lower(?) order by created_at limit 1', [given.email]);
  if (known) return { campaignId, stepNumber, donorId: known.id };
  const [first, ...rest] = (given.name ?? '').trim().split(/\s+/).filter(Boolean);
  const [made] = await em.execute<{ id: string }[]>(
    `insert into donors (client_id, email, first_name, last_name, source) values (?, ?, ?, ?, 'website') returning id`,
    [given.clientId, given.email.slice(0, 255), first?.slice(0, 100) ?? null, rest.join(' ').slice(0, 100) || null]);
  return { campaignId, stepNumber, donorId: made.id };
}

/**
 * The monthly gift of a subscription, whichever of its events comes first: attribution fills what is
 * missing, and `cancelled` is final (a late checkout or invoice event never revives an ended gift).
 */
async function upsertRecurringGift(
  em: EntityManager, clientId: string, who: Attributed, event: { subscriptionId: string; occurredAt: string } & Money,
  status: 'active' | 'cancelled', cancelledAt: string | null,
): Promise<string> {
  const [row] = await em.execute<{ id: string }[]>(
    `insert into recurring_gifts (client_id, donor_id, campaign_id, step_number, stripe_subscription_id, amount, currency, status, started_at, cancelled_at)
     values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
     on conflict (stripe_subscription_id) do update
        set donor_id = coalesce(recurring_gifts.donor_id, excluded.donor_id),
            campaign_id = coalesce(recurring_gifts.campaign_id, excluded.campaign_id),
            step_number = coalesce(recurring_gifts.step_number, excluded.step_number),
            started_at = least(recurring_gifts.started_at, excluded.started_at),
            status = case when excluded.status = 'cancelled' then 'cancelled' else recurring_gifts.status end,
            cancelled_at = coalesce(recurring_gifts.cancelled_at, excluded.cancelled_at)
     returning id`,
    [clientId, who.donorId, who.campaignId, who.stepNumber, event.subscriptionId, event.amount, event.currency, status, event.occurredAt, cancelledAt]);
  return row.id;
}

/** The payment of a gift's PaymentIntent (so a refund of its charge, which names only the intent, finds the gift); forward-only. */
async function upsertPayment(em: EntityManager, clientId: string, who: Attributed, paymentIntentId: string, money: Money): Promise<{ id: string; status: string }> {
  const [row] = await em.execute<{ id: string; status: string }[]>(
    `insert into payments (client_id, donor_id, campaign_id, stripe_payment_intent_id, amount, currency, status)
     values (?, ?, ?, ?, ?, ?, 'succeeded')
     on conflict (stripe_payment_intent_id) do update
        set status = case when payments.status = 'refunded' then 'refunded' else 'succeeded' end,
            donor_id = coalesce(payments.donor_id, excluded.donor_id), campaign_id = coalesce(payments.campaign_id, excluded.campaign_id)
     returning id, status`,
    [clientId, who.donorId, who.campaignId, paymentIntentId, money.amount, money.currency]);
  return row;
}

interface DonationFacts extends Money {
  donatedAt: string;
  /** Its payment was refunded before this event came (the refund overtook the gift). */
  refunded: boolean;
  paymentIntentId: string | null;
  paymentId: string | null;
  recurringGiftId: string | null;
  invoiceId: string | null;
}

/**
 * The donation of a one-time gift (one per PaymentIntent) or of one month (one per invoice). A refund
 * that overtook the gift (recorded by activities/payments/stripe-events.ts from the payment) keeps it refunded;
 * what this event knows better (step, recurring gift, invoice) is filled in.
 */
async function upsertDonation(em: EntityManager, clientId: string, who: Attributed, facts: DonationFacts): Promise<{ id: string; status: string }> {
  const conflictKey = facts.invoiceId ? 'stripe_invoice_id' : 'stripe_payment_intent_id';
  const [row] = await em.execute<{ id: string; status: string }[]>(
    `insert into donations (client_id, donor_id, campaign_id, step_number, amount, currency, status, source, donated_at,
                            payment_id, stripe_payment_intent_id, stripe_invoice_id, recurring_gift_id)
     values (?, ?, ?, ?, ?::numeric, ?, ?, 'stripe', ?, ?, ?, ?, ?)
     on conflict (${conflictKey}) do update
        set status = case when excluded.status = 'refunded' then 'refunded' else donations.status end,
            campaign_id = coalesce(donations.campaign_id, excluded.campaign_id),
            step_number = coalesce(donations.step_number, excluded.step_number),
            payment_id = coalesce(donations.payment_id, excluded.payment_id),
            stripe_payment_intent_id = coalesce(donations.stripe_payment_intent_id, excluded.stripe_payment_intent_id),
            stripe_invoice_id = coalesce(donations.stripe_invoice_id, excluded.stripe_invoice_id),
            recurring_gift_id = coalesce(donations.recurring_gift_id, excluded.recurring_gift_id),
            donated_at = least(donations.donated_at, excluded.donated_at)
     returning id, status`,
    [clientId, who.donorId, who.campaignId, who.stepNumber, toDecimalString(facts.amount, facts.currency), facts.currency,
      facts.refunded ? 'refunded' : 'succeeded', facts.donatedAt,
      facts.paymentId, facts.paymentIntentId, facts.invoiceId, facts.recurringGiftId]);
  return row;
}
