import type { Fixtures } from './fixtures';

/** `step/outcome/skip reason` → rows, without zero entries. */
export type CountsByKey = Record<string, number>;

/**
 * The status counters of a campaign and the same counts taken from the whole delivery ledger, keyed
 * alike, so a test can compare them. The ledger side states the outcome mapping on its own (delivery
 * facts such as delivered or opened count as sent) rather than reusing the schema's function.
 */
export async function countersAndLedger(fixtures: Fixtures, campaignId: string): Promise<{ counters: CountsByKey; ledger: CountsByKey }> {
  const counters = await fixtures.query<{ key: string; n: number }>(
    `select step_number || '/' || outcome || '/' || skip_reason as key, sum(n)::int as n from campaign_delivery_counts
      where campaign_id = $1 group by 1 having sum(n) <> 0`, [campaignId]);
  const ledger = await fixtures.query<{ key: string; n: number }>(
    `select step_number || '/' || case when status in ('pending', 'failed', 'skipped') then status else 'sent' end
            || '/' || coalesce(skip_reason, '') as key, count(*)::int as n
       from campaign_deliveries where campaign_id = $1 group by 1`, [campaignId]);
  const byKey = (rows: { key: string; n: number }[]) => Object.fromEntries(rows.map((row) => [row.key, row.n]).sort());
  return { counters: byKey(counters), ledger: byKey(ledger) };
}
