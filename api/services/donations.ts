import type { EntityManager } from '@mikro-orm/postgresql';
import type { z } from 'zod';
import type { Donation } from '../schemas/donations';
import { recalculateRfm } from '../../activities/rfm-recalculation';
import { notFound } from '../problem';
import { requireCampaign } from './campaigns/campaign-guard';
import { giftMoney } from './giving/gift-money';
import { requireDonor } from './donors/donors';

type DonationRow = z.input<typeof Donation>;

/** A donation as the API shows it, with its online payment; for `select … from donations` and `… returning` on donations (unaliased). */
const DONATION_COLUMNS = `id, client_id, donor_id, campaign_id, amount, currency, status, source, donated_at, refunded_at, created_at,
  (select json_build_object('id', p.id, 'status', p.status) from payments p where p.id = donations.payment_id) as payment`;

export interface OfflineGift {
  donor_id: string; campaign_id?: string | null; amount: number; currency?: string; donated_at?: string; status: 'pending' | 'succeeded';
}

/**
 * An offline gift (cheque, cash, bank transfer): the donor and campaign must be the client's, the amount
 * in the client's reporting currency with at most its decimals (giving/gift-money.ts). A gift
 * that counts rescores its donor at once, so segment-based messages see it (one statement, one donor).
 */
export async function recordDonation(em: EntityManager, clientId: string, gift: OfflineGift): Promise<DonationRow> {
  await requireDonor(em, gift.donor_id, 'body.donor_id');
  if (gift.campaign_id) await requireCampaign(em, gift.campaign_id, { field: 'body.campaign_id' });
  const money = await giftMoney(em, clientId, gift);
  const [row] = await em.execute<DonationRow[]>(
    `insert into donations (client_id, donor_id, campaign_id, amount, currency, status, source, donated_at)
     values (?, ?, ?, ?, ?, ?, 'offline', coalesce(?::timestamptz, now())) returning ${DONATION_COLUMNS}`,
    [clientId, gift.donor_id, gift.campaign_id ?? null, money.decimal, money.currency, gift.status, gift.donated_at ?? null],
  );
  if (gift.status === 'succeeded') await recalculateRfm(em, clientId, new Date(), gift.donor_id);
  return row;
}

export interface DonationFilter { donor_id?: string; campaign_id?: string; status?: string; limit: number; offset: number }

export function listDonations(em: EntityManager, filter: DonationFilter): Promise<DonationRow[]> {
  const where: string[] = [];
  const params: unknown[] = [];
  for (const column of ['donor_id', 'campaign_id', 'status'] as const) {
    if (filter[column]) { where.push(`${column} = ?`); params.push(filter[column]); }
  }
  return em.execute<DonationRow[]>(
    `select ${DONATION_COLUMNS} from donations ${where.length ? `where ${where.join(' and ')}` : ''}
      order by donated_at desc, id limit ? offset ?`,
    [...params, filter.limit, filter.offset],
  );
}

export async function getDonation(em: EntityManager, donationId: string): Promise<DonationRow> {
  const [row] = await em.execute<DonationRow[]>(`select ${DONATION_COLUMNS} from donations where id = ?`, [donationId]);
  if (!row) throw notFound('donation');
  return row;
}
