import type { EntityManager } from '@mikro-orm/postgresql';
import type { RfmSegment } from '../../domain/rfm';
import type { Reader } from '../delivery/compose';

/** Whom a preview or a test message is written for: one donor, a sample donor of a segment, or nobody in particular. */
export type ReaderChoice = { donorId: string } | { segment: RfmSegment } | { sample: true };

/**
 * The stand-in reader of a test message written for nobody in particular: no names (so conditionals take
 * their fallback, as for a donor without them), the base texts (no segment), and no donor id.
 */
export const SAMPLE_READER: Reader = { donorId: null, email: null, firstName: null, lastName: null, segment: null };

/**
 * The reader a choice names, in the caller's client transaction (row-level security keeps other clients'
 * donors out of reach), or null when there is none. A donor's segment is read as the real send reads it:
 * their current RFM segment, else the one frozen with the audience at activation. The sample donor of a
 * segment is its first donor with an email address, by id, so the same request previews the same donor.
 */
export async function loadReader(em: EntityManager, campaignId: string, choice: ReaderChoice): Promise<Reader | null> {
  if ('sample' in choice) return SAMPLE_READER;
  const byDonor = 'donorId' in choice;
  const [row] = await em.execute<{ id: string; email: string | null; first_name: string | null; last_name: string | null; segment: RfmSegment | null }[]>(
    `select d.id, d.email, d.first_name, d.last_name, coalesce(d.rfm_segment, r.segment_at_start) as segment
       from donors d left join campaign_recipients r on r.donor_id = d.id and r.campaign_id = ?
      where ${byDonor ? 'd.id = ?' : 'coalesce(d.rfm_segment, r.segment_at_start) = ? and d.email is not null'}
      order by d.id limit 1`,
    [campaignId, byDonor ? choice.donorId : choice.segment],
  );
  return row ? { donorId: row.id, email: row.email, firstName: row.first_name, lastName: row.last_name, segment: row.segment } : null;
}
