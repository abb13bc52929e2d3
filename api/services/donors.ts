import type { EntityManager } from '@mikro-orm/postgresql';
import type { RfmSegment } from '../../domain/rfm';
import { notFound } from '../problem';
import type { z } from 'zod';
import type { Donor, DonorInput } from '../schemas/donors';

export const DONOR_COLUMNS = `id, client_id, email, phone, first_name, last_name, timezone, stage, source, rfm_segment,
  rfm_recency_score, rfm_frequency_score, rfm_monetary_score, rfm_last_calculated, email_suppressed_at,
  email_suppression_reason, tags, metadata, is_active, created_at, updated_at`;

export type DonorRow = z.input<typeof Donor>;

/** One statement for any number of donors (one for a create, thousands for an import). */
export function insertDonors(em: EntityManager, clientId: string, donors: DonorInput[]): Promise<DonorRow[]> {
  if (donors.length === 0) return Promise.resolve([]);
  return em.execute<DonorRow[]>(
    `insert into donors (client_id, email, phone, first_name, last_name, timezone, stage, source, tags, metadata)
     select ?, x.email, x.phone, x.first_name, x.last_name, x.timezone, x.stage, x.source, coalesce(x.tags, '{}'), coalesce(x.metadata, '{}')
       from json_to_recordset(?::json) as x(email text, phone text, first_name text, last_name text, timezone text,
                                            stage text, source text, tags text[], metadata jsonb)
     returning ${DONOR_COLUMNS}`,
    [clientId, JSON.stringify(donors)],
  );
}

export async function createDonor(em: EntityManager, clientId: string, donor: DonorInput): Promise<DonorRow> {
  const [row] = await insertDonors(em, clientId, [donor]);
  return row;
}

export async function getDonor(em: EntityManager, donorId: string): Promise<DonorRow> {
  const [row] = await em.execute<DonorRow[]>(`select ${DONOR_COLUMNS} from donors where id = ?`, [donorId]);
  if (!row) throw notFound('donor');
  return row;
}

/** Throws 404 naming `field` when the donor is not the client's; for ids that arrive in a body or query. */
export async function requireDonor(em: EntityManager, donorId: string, field: string): Promise<void> {
  const [row] = await em.execute('select 1 from donors where id = ?', [donorId]);
  if (!row) throw notFound('donor', field);
}

export interface DonorFilter { segment?: RfmSegment; stage?: string; search?: string; limit: number; offset: number }

/** `%` and `_` in a search are literal characters, not patterns. */
function containsPattern(text: string): string {
  return `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

export function listDonors(em: EntityManager, filter: DonorFilter): Promise<DonorRow[]> {
  const where: string[] = [];
  const params: unknown[] = [];
  if (filter.segment) { where.push('rfm_segment = ?'); params.push(filter.segment); }
  if (filter.stage) { where.push('stage = ?'); params.push(filter.stage); }
  if (filter.search) {
    // Both expressions have trigram indexes (migration Core).
    where.push(`((coalesce(first_name, '') || ' ' || coalesce(last_name, '')) ilike ? or email ilike ?)`);
    params.push(containsPattern(filter.search), containsPattern(filter.search));
  }
  return em.execute<DonorRow[]>(
    `select ${DONOR_COLUMNS} from donors ${where.length ? `where ${where.join(' and ')}` : ''}
      order by created_at desc, id limit ? offset ?`,
    [...params, filter.limit, filter.offset],
  );
}
