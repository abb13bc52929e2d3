import type { EntityManager } from '@mikro-orm/postgresql';
import { askLadder } from '../../../domain/giving/ask-ladder';
import type { GiveClaims } from '../../../domain/giving/give-token';
import { toMinorUnits } from '../../../domain/money';

/**
 * Who a give link gives to, read in the link's client: the organisation, its currency (every gift of a
 * client is in its reporting currency, domain/money.ts), and, while the link is current and its campaign
 * and donor still exist, the campaign's story and the donor's own ask ladder (domain/giving/ask-ladder.ts).
 * Otherwise the gift is the organisation's, unattributed, with the fixed ladder in the client's currency
 * (scaled by its rfm_tier_rate, units per US dollar).
 */
export interface GiveTarget {
  clientId: string;
  organisation: string;
  currency: string;
  /** Null when the gift is unattributed (an expired link, or its campaign or donor is gone). */
  attribution: { campaignId: string; stepNumber: number; donorId: string; donorEmail: string | null } | null;
  headline: string | null;
  summary: string | null;
  /** Minor units of `currency`, lowest first. */
  ladder: [number, number, number];
}

export async function loadGiveTarget(em: EntityManager, claims: GiveClaims, current: boolean): Promise<GiveTarget | null> {
  const [client] = await em.execute<{ name: string; currency: string; rate: string | null }[]>(
    'select name, reporting_currency as currency, rfm_tier_rate as rate from clients where id = ?', [claims.clientId]);
  if (!client) return null;
  // Units of the client's currency per US dollar: scales the fixed ladder of a donor who never gave.
  const unitsPerDollar = client.rate === null ? 1 : Number(client.rate);
  const target: GiveTarget = {
    clientId: claims.clientId, organisation: client.name, currency: client.currency, attribution: null, headline: null, summary: null,
    ladder: askLadder(null, client.currency, unitsPerDollar),
  };
  if (!current) return target;
  const [found] = await em.execute<{ headline: string | null; summary: string | null; email: string | null; highest: string | null }[]>(
    `select c.track15_core_story->>'headline' as headline, c.track15_core_story->>'summary' as summary, d.email,
            (select max(g.amount) from donations g where g.donor_id = d.id and g.status = 'succeeded' and g.currency = ?) as highest
       from campaigns c join donors d on d.id = ? and d.client_id = c.client_id
      where c.id = ? and c.deleted_at is null`,
    [client.currency, claims.donorId, claims.campaignId]);
  if (!found) return target;
  return {
    ...target,
    attribution: { campaignId: claims.campaignId, stepNumber: claims.stepNumber, donorId: claims.donorId, donorEmail: found.email },
    headline: found.headline, summary: found.summary,
    ladder: askLadder(found.highest === null ? null : toMinorUnits(found.highest, client.currency), client.currency, unitsPerDollar),
  };
}
