import type { EntityManager } from '@mikro-orm/postgresql';

/** A client's cap: at most `messages` marketing emails per donor in any `windowDays` days, across its campaigns. */
export interface FrequencyCap { messages: number; windowDays: number }

/**
 * Which of `donorIds` have already had their share of marketing email in the rolling window, counting
 * every campaign's ledger rows that went out or are going out (pending, sent and later statuses; not
 * skipped or failed). Receipts and other transactional mail never enter the campaign ledger, so they are
 * neither counted nor capped.
 *
 * Two campaigns may page the same donor at the same instant; each holds the donor rows (FOR NO KEY UPDATE,
 * in id order so two pages cannot deadlock) until its claim, with its pending ledger rows, commits. The
 * second waits, then counts the first's claim: only one can pass. Must run in the claim's transaction.
 */
export async function overCap(em: EntityManager, clientId: string, donorIds: string[], cap: FrequencyCap): Promise<Set<string>> {
  if (donorIds.length === 0) return new Set();
  const ids = JSON.stringify(donorIds);
  await em.execute(
    `select id from donors where id in (select json_array_elements_text(?::json)::uuid) order by id for no key update`, [ids]);
  const counts = await em.execute<{ donor_id: string; sent: number }[]>(
    `select l.donor_id, count(*)::int as sent
       from campaign_deliveries l
      where l.client_id = ? and l.donor_id in (select json_array_elements_text(?::json)::uuid)
        and l.channel = 'email' and l.status not in ('skipped', 'failed')
        and l.created_at > now() - make_interval(days => ?)
      group by l.donor_id`,
    [clientId, ids, cap.windowDays],
  );
  return new Set(counts.filter((row) => row.sent >= cap.messages).map((row) => row.donor_id));
}
