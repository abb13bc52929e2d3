import type { EntityManager } from '@mikro-orm/postgresql';

/**
 * The lapse of domain/journeys.ts, for one client at once: every donor whose last succeeded gift is at
 * least the client's `lapse_after_days` before `asOf` and who is not already lapsed (new, active or
 * reactivated) becomes `lapsed`, with one transition each dated when the window ran out (last gift +
 * lapse_after_days), not when the sweep found it. The candidates are locked (FOR UPDATE), and PostgreSQL
 * re-checks each one's last gift once it has the lock: a gift committed meanwhile (its trigger moves the
 * same row) takes the donor out of the sweep instead of being undone by it. Running it again finds
 * nobody: a lapsed donor is not a candidate. Returns how many donors lapsed.
 */
export async function lapseClientDonors(em: EntityManager, clientId: string, asOf: Date): Promise<number> {
  const [{ lapsed }] = await em.execute<{ lapsed: number }[]>(
    `with due as (
       select d.id, d.client_id, d.stage, greatest(d.last_gift_at + make_interval(days => c.lapse_after_days), d.stage_entered_at) as lapsed_at
         from donors d join clients c on c.id = d.client_id
        where d.client_id = ? and d.stage in ('new_donor', 'active', 'reactivated')
          and d.last_gift_at + make_interval(days => c.lapse_after_days) <= ?::timestamptz
          for no key update of d),
     moved as (
       update donors d set stage = 'lapsed', stage_entered_at = due.lapsed_at from due where d.id = due.id
       returning d.id, d.client_id, due.stage as from_stage, due.lapsed_at),
     recorded as (
       insert into donor_journey_transitions (client_id, donor_id, from_stage, to_stage, at, cause)
       select client_id, id, from_stage, 'lapsed', lapsed_at, 'lapse' from moved returning 1)
     select count(*)::int as lapsed from recorded`,
    [clientId, asOf.toISOString()]);
  return lapsed;
}
