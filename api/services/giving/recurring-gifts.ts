import type { EntityManager } from '@mikro-orm/postgresql';
import Stripe from 'stripe';
import { Problem } from '../../problem';

type InClient = <T>(work: (em: EntityManager) => Promise<T>) => Promise<T>;

export interface RecurringGift {
  id: string;
  organisation: string;
  stripeSubscriptionId: string;
  /** Minor units of `currency`, each month. */
  amount: number;
  currency: string;
  status: 'active' | 'cancelled';
}

export async function loadRecurringGift(em: EntityManager, id: string): Promise<RecurringGift | null> {
  const [row] = await em.execute<{ id: string; organisation: string; subscription: string; amount: number; currency: string; status: 'active' | 'cancelled' }[]>(
    `select g.id, c.name as organisation, g.stripe_subscription_id as subscription, g.amount, g.currency, g.status
       from recurring_gifts g join clients c on c.id = g.client_id where g.id = ?`, [id]);
  return row ? { id: row.id, organisation: row.organisation, stripeSubscriptionId: row.subscription, amount: row.amount, currency: row.currency, status: row.status } : null;
}

/**
 * Cancels a monthly gift: the Stripe subscription first (idempotent: cancelling a cancelled subscription
 * is answered as already done), then the row, so the product never says "cancelled" while Stripe still
 * charges. 502 when Stripe does not answer after retries.
 */
export async function cancelRecurringGift(inClient: InClient, stripe: Stripe, gift: RecurringGift): Promise<RecurringGift> {
  if (gift.status === 'cancelled') return gift;
  try {
    await stripe.subscriptions.cancel(gift.stripeSubscriptionId, {}, { idempotencyKey: `cancel-monthly-gift:${gift.id}` });
  } catch (error) {
    const alreadyGone = error instanceof Stripe.errors.StripeInvalidRequestError && error.code === 'resource_missing';
    if (!alreadyGone) {
      if (error instanceof Stripe.errors.StripeError) throw new Problem(502, 'Bad Gateway', `Stripe did not cancel the monthly gift (${error.message}); please try again`);
      throw error;
    }
  }
  await inClient((em) => em.execute(
    `update recurring_gifts set status = 'cancelled', cancelled_at = coalesce(cancelled_at, now()) where id = ?`, [gift.id]));
  return { ...gift, status: 'cancelled' };
}
