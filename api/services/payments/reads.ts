import type { EntityManager } from '@mikro-orm/postgresql';
import type { z } from 'zod';
import { toMajorUnits } from '../../../domain/money';
import { notFound } from '../../problem';
import type { PageWindow } from '../../schemas/common';
import type { Payment } from '../../schemas/payments';

type PaymentView = z.input<typeof Payment>;
interface PaymentRow extends Omit<PaymentView, 'amount' | 'amount_minor'> { amount: number }

/**
 * payments.amount is stored in minor units (integer, as Stripe charges); the gift it recorded is found
 * by donations.payment_id (one per payment: a PaymentIntent records at most one gift).
 */
const PAYMENT_SQL = `
  select p.id, p.client_id, p.donor_id, p.campaign_id, p.status, p.amount, p.currency, p.stripe_payment_intent_id,
         p.failure_reason, p.created_at, p.updated_at,
         (select json_build_object('id', d.id, 'status', d.status) from donations d where d.payment_id = p.id
           order by d.created_at limit 1) as donation
    from payments p`;

/** Money as the API shows it: major units beside the minor units, converted with the currency's exponent. */
function view({ amount, ...row }: PaymentRow): PaymentView {
  return { ...row, amount: toMajorUnits(amount, row.currency), amount_minor: amount };
}

export interface PaymentFilter extends PageWindow { status?: string; donor_id?: string }

/** The client's payments, newest first (the client's index on created_at). */
export async function listPayments(em: EntityManager, filter: PaymentFilter): Promise<PaymentView[]> {
  const where: string[] = [];
  const params: unknown[] = [];
  for (const column of ['status', 'donor_id'] as const) {
    if (filter[column]) { where.push(`p.${column} = ?`); params.push(filter[column]); }
  }
  const rows = await em.execute<PaymentRow[]>(
    `${PAYMENT_SQL} ${where.length ? `where ${where.join(' and ')}` : ''} order by p.created_at desc, p.id limit ? offset ?`,
    [...params, filter.limit, filter.offset]);
  return rows.map(view);
}

export async function getPayment(em: EntityManager, paymentId: string): Promise<PaymentView> {
  const [row] = await em.execute<PaymentRow[]>(`${PAYMENT_SQL} where p.id = ?`, [paymentId]);
  if (!row) throw notFound('payment');
  return view(row);
}
