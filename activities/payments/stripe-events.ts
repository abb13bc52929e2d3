import type { EntityManager } from '@mikro-orm/postgresql';
import { reportingCurrency } from '../../domain/db/reporting-currency';
import { asOperator, isUuid, withClient } from '../../domain/db/tenancy';
import { toDecimalString } from '../../domain/money';
import { type PaymentStatus, type RecordedStripeEvent, STRIPE_EVENT_STATUS, advancePayment, donationStatusFor } from '../../domain/payment-status';
import type { ActivityDeps } from '..';
import { voidReceipt } from '../giving/receipts';
import { recalculateRfm } from '../rfm-recalculation';

/** The part of a verified Stripe event the product records (small enough for workflow history). */
export interface StripeEventInput {
  eventId: string;
  type: RecordedStripeEvent;
  occurredAt: string;
  /**
   * When the money moved (ISO 8601): the charge's own creation time on charge events, so a refund that
   * overtakes its success still dates the gift at the charge. Absent from events queued before it existed.
   */
  chargedAt?: string;
  paymentIntentId: string;
  /** Minor units of `currency`, as Stripe counts (domain/money.ts). */
  amount: number;
  currency: string;
  /** The PaymentIntent's metadata (client, donor, campaign, payment ids set when the API created it). */
  metadata: Record<string, string>;
  failureReason: string | null;
}

export interface StripeEventOutcome {
  applied: boolean;
  /** Why the event was acknowledged and left alone: not caused by the product, or a gift it refuses. */
  ignored: string | null;
  paymentStatus: PaymentStatus | null;
  donationId: string | null;
  /**
   * Set (milliseconds) when a refund names an intent not known yet: the workflow waits this long and
   * calls again with the next `wait` (see awaitsItsPayment). Absent otherwise.
   */
  retryInMs?: number;
}

/**
 * How long a refund of an unknown intent waits for its payment, wait after wait (milliseconds), before
 * it is recorded as not caused by the product. Stripe does not guarantee event order
 * (https://docs.stripe.com/webhooks#event-ordering) and retries an undelivered event for up to three
 * days in live mode (https://docs.stripe.com/webhooks#automatic-retries), so the invoice.paid of a
 * month can come days after the refund of its charge: about four days in all.
 */
export const UNKNOWN_REFUND_WAITS_MS: readonly number[] = [10_000, 60_000, 300_000, 1_800_000, 7_200_000, 21_600_000, 86_400_000, 259_200_000];

const NOT_APPLIED: StripeEventOutcome = { applied: false, ignored: null, paymentStatus: null, donationId: null };

interface PaymentRow { id: string; donor_id: string | null; campaign_id: string | null; status: PaymentStatus; amount: number; currency: string }

/**
 * Applies one Stripe event exactly once: the event id is recorded in the same transaction as its
 * effects, so a redelivered (or retried) event changes nothing. Statuses only move forward, so events
 * arriving out of order end in the same state as in order. A succeeded (or refunded) payment is a
 * donation dated when it was charged, and the donor is rescored at once.
 *
 * Every event type goes through the same door first: an event the product did not cause (its intent is
 * unknown here and its metadata names no client of the product: another integration on the same Stripe
 * account) is recorded as ignored and never retried; at once, except a refund without metadata, which
 * first waits for its payment (`wait` is how many waits it has had; awaitsItsPayment). A charge event without metadata for one of
 * the product's intents whose id the API failed to store (it crashed between Stripe's answer and its
 * own write) is indistinguishable from such an event; the intent's own events carry the metadata.
 */
export async function applyStripeEvent(
  deps: Pick<ActivityDeps, 'orm' | 'unknownRefundWaitsMs'>, event: StripeEventInput, wait = 0,
): Promise<StripeEventOutcome> {
  const clientId = await clientOfEvent(deps, event);
  if (!clientId) {
    const waits = deps.unknownRefundWaitsMs ?? UNKNOWN_REFUND_WAITS_MS;
    if (awaitsItsPayment(event) && wait < waits.length) return { ...NOT_APPLIED, retryInMs: waits[wait] };
    return ignore(deps, event, 'not caused by the product: no client in its metadata and an unknown payment intent');
  }
  return withClient(deps.orm.em, clientId, async (em) => {
    if (!await firstDelivery(em, event.eventId, clientId)) return NOT_APPLIED;

    const payment = await findOrCreatePayment(em, clientId, event);
    const status = advancePayment(payment.status, STRIPE_EVENT_STATUS[event.type]);
    await em.execute(
      `update payments set status = ?, failure_reason = coalesce(?, failure_reason), stripe_payment_intent_id = coalesce(stripe_payment_intent_id, ?)
        where id = ?`,
      [status, status === 'failed' ? event.failureReason : null, event.paymentIntentId, payment.id]);

    const donationStatus = donationStatusFor(status);
    if (!donationStatus || !payment.donor_id) return { applied: true, ignored: null, paymentStatus: status, donationId: null };
    const reporting = await reportingCurrency(em, clientId);
    if (reporting !== undefined && payment.currency !== reporting) {
      // Only an intent made outside the product's API can be in another currency; the payment is kept,
      // but a gift would add currencies in revenue and RFM.
      const reason = `a ${payment.currency.toUpperCase()} payment is not a gift of a client that reports in ${reporting.toUpperCase()}`;
      await em.execute(`update processed_webhook_events set ignored_reason = ? where provider = 'stripe' and event_id = ?`, [reason, event.eventId]);
      return { applied: true, ignored: reason, paymentStatus: status, donationId: null };
    }
    const chargedAt = event.chargedAt ?? event.occurredAt;
    // Whichever event arrives first creates the gift; the earliest charge time wins, so a refund that
    // overtakes its success leaves the gift dated at the charge, with refunded_at set.
    const [donation] = await em.execute<{ id: string }[]>(
      `insert into donations (client_id, donor_id, campaign_id, amount, currency, status, source, donated_at, refunded_at, payment_id, stripe_payment_intent_id)
       values (?, ?, ?, ?::numeric, ?, ?, 'stripe', ?, case when ? = 'refunded' then ?::timestamptz end, ?, ?)
       on conflict (stripe_payment_intent_id) do update
          set status = case when excluded.status = 'refunded' then 'refunded' else donations.status end,
              donated_at = least(donations.donated_at, excluded.donated_at),
              refunded_at = coalesce(donations.refunded_at, excluded.refunded_at)
       returning id`,
      [clientId, payment.donor_id, payment.campaign_id, toDecimalString(payment.amount, payment.currency), payment.currency, donationStatus,
        chargedAt, donationStatus, event.type === 'charge.refunded' ? event.occurredAt : null, payment.id, event.paymentIntentId]);
    // A refund sends nothing new: the gift's receipt, if it had one, is void from now on.
    if (donationStatus === 'refunded') await voidReceipt(em, donation.id, event.occurredAt);
    // A gift (or its refund) changes the donor's recency, frequency and value.
    await recalculateRfm(em, clientId, new Date(), payment.donor_id);
    return { applied: true, ignored: null, paymentStatus: status, donationId: donation.id };
  });
}

/**
 * A full refund whose charge names no client may still be the product's: the charge of a monthly
 * gift's invoice carries no metadata, and its intent is known only once that month's invoice.paid is
 * recorded (activities/giving/gift-events.ts), which Stripe may deliver after the refund. So such a
 * refund of an unknown intent is tried again on a durable timer (UNKNOWN_REFUND_WAITS_MS, in the
 * workflow) before it is taken for another integration's; events that carry metadata are decided at once.
 */
function awaitsItsPayment(event: StripeEventInput): boolean {
  return event.type === 'charge.refunded' && !event.metadata.client_id;
}

/** The client an event belongs to: the one whose payment has its intent, else the client its metadata names, if that client exists. */
async function clientOfEvent(deps: Pick<ActivityDeps, 'orm'>, event: StripeEventInput): Promise<string | null> {
  const [row] = await asOperator(deps.orm.em, (em) => em.execute<{ client_id: string }[]>(
    `(select client_id from payments where stripe_payment_intent_id = ?)
     union all (select id from clients where id = ?::uuid) limit 1`,
    [event.paymentIntentId, uuidOrNull(event.metadata.client_id)]));
  return row?.client_id ?? null;
}

/**
 * Records a Stripe event id in the client's transaction that applies it: true the first time, false for
 * a redelivery (or a retry of an attempt that committed), which must then change nothing.
 */
export async function firstDelivery(em: EntityManager, eventId: string, clientId: string): Promise<boolean> {
  const [fresh] = await em.execute<{ event_id: string }[]>(
    `insert into processed_webhook_events (provider, event_id, client_id) values ('stripe', ?, ?) on conflict do nothing returning event_id`,
    [eventId, clientId]);
  return fresh !== undefined;
}

/** Acknowledges an event the product does not act on, recorded once (unattributed) with the reason; true the first time. */
export async function ignoreStripeEvent(deps: Pick<ActivityDeps, 'orm'>, eventId: string, reason: string): Promise<boolean> {
  const [fresh] = await asOperator(deps.orm.em, (em) => em.execute<{ event_id: string }[]>(
    `insert into processed_webhook_events (provider, event_id, client_id, outcome, ignored_reason) values ('stripe', ?, null, 'ignored', ?)
     on conflict do nothing returning event_id`,
    [eventId, reason]));
  return fresh !== undefined;
}

async function ignore(deps: Pick<ActivityDeps, 'orm'>, event: StripeEventInput, reason: string): Promise<StripeEventOutcome> {
  return await ignoreStripeEvent(deps, event.eventId, reason) ? { ...NOT_APPLIED, ignored: reason } : NOT_APPLIED;
}

/** The payment the API stored when it created the intent; or, for an intent made elsewhere, a new one. */
async function findOrCreatePayment(em: EntityManager, clientId: string, event: StripeEventInput): Promise<PaymentRow> {
  const columns = 'id, donor_id, campaign_id, status, amount, currency';
  const [known] = await em.execute<PaymentRow[]>(
    `select ${columns} from payments where stripe_payment_intent_id = ? or id = ?::uuid for update`,
    [event.paymentIntentId, uuidOrNull(event.metadata.payment_id)]);
  if (known) return known;
  const [created] = await em.execute<PaymentRow[]>(
    `insert into payments (client_id, donor_id, campaign_id, stripe_payment_intent_id, amount, currency, status)
     values (?, (select id from donors where id = ?::uuid), (select id from campaigns where id = ?::uuid), ?, ?, ?, 'pending')
     returning ${columns}`,
    [clientId, uuidOrNull(event.metadata.donor_id), uuidOrNull(event.metadata.campaign_id), event.paymentIntentId, event.amount, event.currency]);
  return created;
}

export function uuidOrNull(value: string | undefined): string | null {
  return isUuid(value) ? value : null;
}
