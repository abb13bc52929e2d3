import type { EntityManager } from '@mikro-orm/postgresql';
import type { RfmSegment } from '../../../domain/rfm';
import { preconditionFailed } from '../../optimistic-lock';
import { conflict, invalid, notFound } from '../../problem';
import type { z } from 'zod';
import type { Donor, DonorExport, DonorInput, DonorUpdateInput } from '../../schemas/donors';

/**
 * When a donor was last scored: a whole-client RFM run rewrites only the donors whose scores moved and
 * stamps the client (activities/rfm-recalculation.ts), so the donors that existed then were scored at
 * the client's stamp even when their own row was left alone.
 */
const LAST_SCORED_SQL = `greatest(rfm_last_calculated,
  (select c.rfm_calculated_at from clients c where c.id = donors.client_id and c.rfm_calculated_at >= donors.created_at))`;

/** The columns of a donor as the API shows it; for `select … from donors` and `… returning` on donors (unaliased). */
export const DONOR_COLUMNS = `id, client_id, email, phone, first_name, last_name, timezone, stage, source, rfm_segment,
  rfm_recency_score, rfm_frequency_score, rfm_monetary_score, ${LAST_SCORED_SQL} as rfm_last_calculated, email_suppressed_at,
  email_suppression_reason, tags, metadata, is_active, version, erased_at, created_at, updated_at`;

export type DonorRow = z.input<typeof Donor>;

/** One statement for any number of donors (one for a create, thousands for an import). */
export function insertDonors(em: EntityManager, clientId: string, donors: DonorInput[]): Promise<DonorRow[]> {
  if (donors.length === 0) return Promise.resolve([]);
  return em.execute<DonorRow[]>(
    `insert into donors (client_id, email, phone, first_name, last_name, timezone, source, tags, metadata)
     select ?, x.email, x.phone, x.first_name, x.last_name, x.timezone, x.source, coalesce(x.tags, '{}'), coalesce(x.metadata, '{}')
       from json_to_recordset(?::json) as x(email text, phone text, first_name text, last_name text, timezone text,
                                            source text, tags text[], metadata jsonb)
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

export interface DonorFilter { segment?: RfmSegment; stage?: string; search?: string; q?: string; limit: number; offset: number }

/** Seed 001's full-text document of a donor, exactly as idx_donors_search indexes it (migration Core). */
const DONOR_DOCUMENT = `to_tsvector('simple', coalesce(first_name, '') || ' ' || coalesce(last_name, '') || ' ' || coalesce(email, ''))`;

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
  // Full-text: the GIN index finds the matches, ts_rank orders them best first (then newest).
  const rank = filter.q ? `ts_rank(${DONOR_DOCUMENT}, websearch_to_tsquery('simple', ?)) desc, ` : '';
  if (filter.q) { where.push(`${DONOR_DOCUMENT} @@ websearch_to_tsquery('simple', ?)`); params.push(filter.q); }
  return em.execute<DonorRow[]>(
    `select ${DONOR_COLUMNS} from donors ${where.length ? `where ${where.join(' and ')}` : ''}
      order by ${rank}created_at desc, id limit ? offset ?`,
    [...params, ...(filter.q ? [filter.q] : []), filter.limit, filter.offset],
  );
}

const CORRECTABLE = ['email', 'phone', 'first_name', 'last_name', 'timezone', 'source', 'tags', 'metadata'] as const;

/**
 * Corrects a donor (only the fields named) if it is still at `version` (api/optimistic-lock.ts): 412
 * with the current version otherwise. An erased donor cannot be corrected back into existence (409).
 */
export async function updateDonor(em: EntityManager, donorId: string, version: number, input: DonorUpdateInput): Promise<DonorRow> {
  const current = await getDonor(em, donorId);
  if (current.erased_at) throw conflict('the donor\'s data was erased on request; create a new donor instead', { reasons: ['erased'] });
  const fields = Object.fromEntries(CORRECTABLE.filter((field) => input[field] !== undefined).map((field) => [field, input[field]]));
  if (Object.keys(fields).length === 0) throw invalid([{ field: 'body', message: 'name at least one field to change' }]);
  const [changed] = await em.execute<{ id: string }[]>(
    `update donors t set ${Object.keys(fields).map((column) => `${column} = r.${column}`).join(', ')}, version = t.version + 1
       from jsonb_populate_record(null::donors, ?::jsonb) r
      where t.id = ? and t.version = ? returning t.id`,
    [JSON.stringify(fields), donorId, version],
  );
  if (!changed) throw preconditionFailed('donor', (await getDonor(em, donorId)).version);
  return getDonor(em, donorId);
}

/**
 * Erasure on request (GDPR Art. 17). Removes the donor's names, addresses, phone, time zone, tags and
 * metadata, the address from their sent-mail records and their SMS threads; keeps the donor row,
 * anonymised, so gifts stay in the books and the analytics; keeps the email address and phone only as
 * SHA-256 hashes on the client's suppression list (erased_addresses), where a trigger suppresses anyone
 * who arrives again with that email, so it is never mailed again. Erasing twice changes nothing more.
 */
export async function eraseDonor(em: EntityManager, clientId: string, donorId: string): Promise<DonorRow> {
  const [donor] = await em.execute<{ email: string | null; phone: string | null; erased: boolean }[]>(
    'select email, phone, erased_at is not null as erased from donors where id = ? for update', [donorId]);
  if (!donor) throw notFound('donor');
  if (donor.erased) return getDonor(em, donorId);
  for (const [kind, address] of [['email', donor.email], ['phone', donor.phone]] as const) {
    if (address === null) continue;
    await em.execute(
      `insert into erased_addresses (client_id, kind, address_hash) values (?, ?, erased_address_hash(?, ?)) on conflict do nothing`,
      [clientId, kind, kind, address]);
  }
  await em.execute(`update email_sends set email_address = 'erased' where donor_id = ?`, [donorId]);
  await em.execute('delete from conversations where donor_id = ?', [donorId]);
  await em.execute(`update event_tickets set metadata = '{}' where donor_id = ?`, [donorId]);
  await em.execute(
    `update donors set email = null, phone = null, first_name = null, last_name = null, timezone = null, tags = '{}', metadata = '{}',
            is_active = false, erased_at = now(), email_suppressed_at = coalesce(email_suppressed_at, now()),
            email_suppression_reason = coalesce(email_suppression_reason, 'erased'), version = version + 1
      where id = ?`, [donorId]);
  return getDonor(em, donorId);
}

/** Rows of `table` about the donor, each as JSON (without the tenant column). */
function rowsOf(table: string, where = 't.donor_id = ?') {
  return `coalesce((select jsonb_agg(to_jsonb(t) - 'client_id') from ${table} t where ${where}), '[]'::jsonb)`;
}

/** Everything the product holds about one donor, for a subject access request (GDPR Art. 15). */
export async function exportDonor(em: EntityManager, donorId: string): Promise<z.input<typeof DonorExport>> {
  const donor = await getDonor(em, donorId);
  const [data] = await em.execute<Omit<z.input<typeof DonorExport>, 'donor' | 'exported_at'>[]>(
    `select ${rowsOf('notification_preferences')} as notification_preferences, ${rowsOf('donations')} as donations,
            ${rowsOf('payments')} as payments, ${rowsOf('email_sends')} as email_sends, ${rowsOf('campaign_deliveries')} as campaign_deliveries,
            coalesce((select jsonb_agg((to_jsonb(c) - 'client_id') || jsonb_build_object('messages', ${rowsOf('messages', 't.conversation_id = c.id')}))
                        from conversations c where c.donor_id = ?), '[]'::jsonb) as conversations,
            ${rowsOf('event_tickets')} as event_tickets, ${rowsOf('donor_journey_transitions')} as journey_transitions`,
    [donorId, donorId, donorId, donorId, donorId, donorId, donorId, donorId],
  );
  return { exported_at: new Date().toISOString(), donor, ...data };
}
