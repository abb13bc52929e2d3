import { asOperator, isUuid, withClient } from '../../domain/db/tenancy';
import { type PaymentStatus, STRIPE_EVENT_STATUS, advancePayment } from '../../domain/payment-status';
import type { ActivityDeps } from '..';
import type { StripeEventInput } from '../payments/stripe-events';

/**
 * The Stripe events of activation payments (issue 16 item 3): events whose PaymentIntent metadata says
 * `purpose: activation` (set by api/services/activation/activation-pages.ts when it started the Checkout
 * Session). Registered with the Stripe event dispatch under that purpose.
 */

export interface ActivationPaymentOutcome {
  applied: boolean;
  /** Why the event was acknowledged and left alone. */
  ignored: string | null;
  clientId: string | null;
  paymentStatus: PaymentStatus | null;
  /** The client's status after the event (seed 003: pending -> active -> paid, or failed). */
  clientStatus: 'pending' | 'active' | 'paid' | 'failed' | null;
}

const NOT_APPLIED = { applied: false, ignored: null, paymentStatus: null, clientStatus: null } as const;

/**
 * Applies one activation payment event exactly once (its event id is recorded with its effects, in the
 * client's tenant), in any order and any number of times: the payment's status only moves forward
 * (domain/payment-status.ts), so a late payment_failed never undoes a success.
 * - The payment is the one the page stored (metadata payment_id, else the intent id), keeping the content
 *   version it was started from; an unknown one is recorded from the metadata (client, content version,
 *   acceptance), each only if it is the client's.
 * - The client becomes `paid` on success, and stays paid (another attempt failing later changes nothing);
 *   an unpaid client whose payment failed becomes `failed` and may try again from the agreement page.
 * - Expiry does not matter: a payment after the token expired is honoured and recorded like any other.
 * An event naming no client of the product is recorded as ignored.
 */
export async function applyActivationPayment(deps: Pick<ActivityDeps, 'orm'>, event: StripeEventInput): Promise<ActivationPaymentOutcome> {
  const { metadata } = event;
  const clientId = await asOperator(deps.orm.em, async (em) => {
    const [row] = await em.execute<{ client_id: string }[]>(
      `(select client_id from payments where stripe_payment_intent_id = ? or id = ?::uuid)
       union all (select id from clients where id = ?::uuid) limit 1`,
      [event.paymentIntentId, uuidOrNull(metadata.payment_id), uuidOrNull(metadata.client_id)]);
    if (row) return row.client_id;
    await em.execute(
      `insert into processed_webhook_events (provider, event_id, client_id, outcome, ignored_reason) values ('stripe', ?, null, 'ignored', ?)
       on conflict do nothing`, [event.eventId, 'an activation payment of no known client']);
    return null;
  });
  if (!clientId) return { ...NOT_APPLIED, ignored: 'an activation payment of no known client', clientId: null };

  return withClient(deps.orm.em, clientId, async (em) => {
    const [fresh] = await em.execute<{ event_id: string }[]>(
      `insert into processed_webhook_events (provider, event_id, client_id) values ('stripe', ?, ?) on conflict do nothing returning event_id`,
      [event.eventId, clientId]);
    if (!fresh) return { ...NOT_APPLIED, clientId };

    const columns = 'id, status';
    let [payment] = await em.execute<{ id: string; status: PaymentStatus }[]>(
      `select ${columns} from payments where id = ?::uuid or stripe_payment_intent_id = ? order by (id = ?::uuid) desc limit 1 for update`,
      [uuidOrNull(metadata.payment_id), event.paymentIntentId, uuidOrNull(metadata.payment_id)]);
    if (!payment) {
      [payment] = await em.execute<{ id: string; status: PaymentStatus }[]>(
        `insert into payments (client_id, content_version_id, acceptance_id, stripe_payment_intent_id, amount, currency, status)
         values (?, (select id from content_versions where id = ?::uuid), (select id from agreement_acceptances where id = ?::uuid), ?, ?, ?, 'pending')
         returning ${columns}`,
        [clientId, uuidOrNull(metadata.content_version_id), uuidOrNull(metadata.acceptance_id), event.paymentIntentId, event.amount, event.currency]);
    }
    const status = advancePayment(payment.status, STRIPE_EVENT_STATUS[event.type]);
    await em.execute(
      `update payments set status = ?, failure_reason = coalesce(?, failure_reason), stripe_payment_intent_id = coalesce(stripe_payment_intent_id, ?)
        where id = ?`,
      [status, status === 'failed' ? event.failureReason : null, event.paymentIntentId, payment.id]);
    const [client] = await em.execute<{ status: ActivationPaymentOutcome['clientStatus'] }[]>(
      `update clients set status = case when ? = 'succeeded' then 'paid' when ? = 'failed' and status <> 'paid' then 'failed' else status end
        where id = ? returning status`,
      [status, status, clientId]);
    return { applied: true, ignored: null, clientId, paymentStatus: status, clientStatus: client.status };
  });
}

function uuidOrNull(value: string | undefined): string | null {
  return isUuid(value) ? value : null;
}
