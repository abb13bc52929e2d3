import type { EntityManager } from '@mikro-orm/postgresql';
import { ApplicationFailure } from '@temporalio/activity';
import { asOperator, isUuid, withClient } from '../domain/db/tenancy';
import { type PaymentStatus, type RecordedStripeEvent, STRIPE_EVENT_STATUS, advancePayment, donationStatusFor } from '../domain/payment-status';
import type { ActivityDeps } from '.';
import { recalculateRfm } from './rfm-recalculation';

/** The part of a verified Stripe event the product records (small enough for workflow history). */
export interface StripeEventInput {
  eventId: string;
  type: RecordedStripeEvent;
  occurredAt: string;
  paymentIntentId: string;
  /** Minor units (cents), as Stripe counts. */
  amount: number;
  currency: string;
  /** The PaymentIntent's metadata (client, donor, campaign, payment ids set when the API created it). */
  metadata: Record<string, string>;
  failureReason: string | null;
}

export interface StripeEventOutcome { applied: boolean; paymentStatus: PaymentStatus | null; donationId: string | null }

interface PaymentRow { id: string; donor_id: string | null; campaign_id: string | null; status: PaymentStatus; amount: number; currency: string }

/**
 * Applies one Stripe event exactly once: the event id is recorded in the same transaction as its
 * effects, so a redelivered (or retried) event changes nothing. Statuses only move forward, so events
 * arriving out of order end in the same state as in order. A succeeded (or refunded) payment is a
 * donation, and the donor is rescored at once.
 */
export async function applyStripeEvent(deps: Pick<ActivityDeps, 'orm'>, event: StripeEventInput): Promise<StripeEventOutcome> {
  const clientId = event.metadata.client_id ?? await clientOfIntent(deps, event.paymentIntentId);
  if (!clientId) {
    // Our intents carry their client; a charge may not, and its payment may not be stored yet (the API
    // records the intent id just after Stripe answers). Retry until it is.
    throw ApplicationFailure.create({ message: `no payment is recorded for ${event.paymentIntentId} yet`, type: 'UnknownPayment' });
  }
  return withClient(deps.orm.em, clientId, async (em) => {
    const [fresh] = await em.execute<{ event_id: string }[]>(
      `insert into processed_webhook_events (provider, event_id, client_id) values ('stripe', ?, ?) on conflict do nothing returning event_id`,
      [event.eventId, clientId]);
    if (!fresh) return { applied: false, paymentStatus: null, donationId: null };

    const payment = await findOrCreatePayment(em, clientId, event);
    const status = advancePayment(payment.status, STRIPE_EVENT_STATUS[event.type]);
    await em.execute(
      `update payments set status = ?, failure_reason = coalesce(?, failure_reason), stripe_payment_intent_id = coalesce(stripe_payment_intent_id, ?)
        where id = ?`,
      [status, status === 'failed' ? event.failureReason : null, event.paymentIntentId, payment.id]);

    const donationStatus = donationStatusFor(status);
    if (!donationStatus || !payment.donor_id) return { applied: true, paymentStatus: status, donationId: null };
    const [donation] = await em.execute<{ id: string }[]>(
      `insert into donations (client_id, donor_id, campaign_id, amount, currency, status, source, donated_at, refunded_at, payment_id, stripe_payment_intent_id)
       values (?, ?, ?, ?::numeric / 100, ?, ?, 'stripe', ?, case when ? = 'refunded' then ?::timestamptz end, ?, ?)
       on conflict (stripe_payment_intent_id) do update
          set status = case when excluded.status = 'refunded' then 'refunded' else donations.status end,
              refunded_at = coalesce(donations.refunded_at, excluded.refunded_at)
       returning id`,
      [clientId, payment.donor_id, payment.campaign_id, payment.amount, payment.currency, donationStatus, event.occurredAt,
        donationStatus, event.occurredAt, payment.id, event.paymentIntentId]);
    // A gift (or its refund) changes the donor's recency, frequency and value.
    await recalculateRfm(em, clientId, new Date(), payment.donor_id);
    return { applied: true, paymentStatus: status, donationId: donation.id };
  });
}

async function clientOfIntent(deps: Pick<ActivityDeps, 'orm'>, paymentIntentId: string): Promise<string | undefined> {
  const [row] = await asOperator(deps.orm.em, (em) => em.execute<{ client_id: string }[]>(
    'select client_id from payments where stripe_payment_intent_id = ?', [paymentIntentId]));
  return row?.client_id;
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

function uuidOrNull(value: string | undefined): string | null {
  return isUuid(value) ? value : null;
}
