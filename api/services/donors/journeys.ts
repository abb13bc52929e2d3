import type { EntityManager } from '@mikro-orm/postgresql';
import type { z } from 'zod';
import { DONOR_STAGES } from '../../../domain/journeys';
import type { PageWindow } from '../../schemas/common';
import type { Journey, JourneyAnalytics, JourneyTransition } from '../../schemas/journeys';
import { notFound } from '../../problem';

type JourneyRow = Omit<z.input<typeof Journey>, 'items' | 'next_offset'>;

/**
 * A donor's journey (the caller's client transaction): stage, last gift, first-gift attribution, and a
 * page of transitions oldest first (by `at`, then the order they were recorded). 404 when the client has
 * no such donor.
 */
export async function donorJourney(em: EntityManager, donorId: string, window: PageWindow): Promise<JourneyRow & { items: z.input<typeof JourneyTransition>[] }> {
  const [donor] = await em.execute<JourneyRow[]>(
    `select id as donor_id, stage, stage_entered_at, last_gift_at,
            json_build_object('at', first_gift_at, 'donation_id', first_gift_donation_id, 'campaign_id', first_gift_campaign_id,
                              'step_number', first_gift_step_number, 'source', first_gift_source) as first_gift
       from donors where id = ?`, [donorId]);
  if (!donor) throw notFound('donor');
  const items = await em.execute<z.input<typeof JourneyTransition>[]>(
    `select from_stage, to_stage, at, cause, donation_id, campaign_id, recorded_at from donor_journey_transitions
      where donor_id = ? order by at, sequence limit ? offset ?`, [donorId, window.limit, window.offset]);
  return { ...donor, items };
}

const STAGE_ORDER = `array_position(array[${DONOR_STAGES.map((stage) => `'${stage}'`).join(', ')}]::varchar[], stage)`;

/**
 * Seed 001's analytics view for the caller's client (migration DonorJourneys' donor_journey_analytics,
 * which the view customer_analytics reads too): per stage and source, as of now.
 */
export async function journeyAnalytics(em: EntityManager, clientId: string, since: string | undefined): Promise<z.input<typeof JourneyAnalytics>> {
  const [{ as_of: asOf, lapse_after_days: lapseAfterDays }] = await em.execute<{ as_of: string; lapse_after_days: number }[]>(
    'select now() as as_of, lapse_after_days from clients where id = ?', [clientId]);
  const groups = await em.execute<z.input<typeof JourneyAnalytics>['groups']>(
    `select stage, source, count::int, count_30d::int, converted::int, avg_days_to_conversion::float8 as avg_days_to_conversion
       from donor_journey_analytics(?::timestamptz, ?::timestamptz)
      where client_id = ?
      order by ${STAGE_ORDER}, source`, [since ?? null, asOf, clientId]);
  return { as_of: asOf, since: since ?? null, lapse_after_days: lapseAfterDays, groups };
}
