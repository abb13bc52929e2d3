import type { EntityManager } from '@mikro-orm/postgresql';
import type { z } from 'zod';
import { receiptNumber } from '../../../activities/giving/receipts';
import { toMajorUnits } from '../../../domain/money';
import { notFound } from '../../problem';
import type { PageWindow } from '../../schemas/common';
import type { Receipt } from '../../schemas/receipts';

type ReceiptView = z.input<typeof Receipt>;
type ReceiptRow = Omit<ReceiptView, 'receipt_number' | 'amount' | 'amount_minor' | 'void'> & { amount: number };

const RECEIPT_SQL = `
  select id, client_id, donation_id, donor_id, recurring_gift_id, year, number, amount, currency, issued_at, voided_at,
         email_status, email_skip_reason, emailed_at
    from receipts`;

/** receipts.amount is in minor units (as Stripe charged); the API shows major units beside them. */
function view({ amount, ...row }: ReceiptRow): ReceiptView {
  return { ...row, receipt_number: receiptNumber(row.year, row.number), amount: toMajorUnits(amount, row.currency), amount_minor: amount, void: row.voided_at !== null };
}

export interface ReceiptFilter extends PageWindow { donor_id?: string; year?: number }

/** The client's receipts, newest number first. Run inside withClient. */
export async function listReceipts(em: EntityManager, filter: ReceiptFilter): Promise<ReceiptView[]> {
  const where: string[] = [];
  const params: unknown[] = [];
  for (const column of ['donor_id', 'year'] as const) {
    if (filter[column] !== undefined) { where.push(`${column} = ?`); params.push(filter[column]); }
  }
  const rows = await em.execute<ReceiptRow[]>(
    `${RECEIPT_SQL} ${where.length ? `where ${where.join(' and ')}` : ''} order by year desc, number desc limit ? offset ?`,
    [...params, filter.limit, filter.offset]);
  return rows.map(view);
}

/** One receipt; 404 when the client has none of that id. */
export async function getReceipt(em: EntityManager, receiptId: string): Promise<ReceiptView> {
  const [row] = await em.execute<ReceiptRow[]>(`${RECEIPT_SQL} where id = ?`, [receiptId]);
  if (!row) throw notFound('receipt');
  return view(row);
}
