import type { RfmSegment } from './rfm';

/**
 * Who a campaign talks to: a filter saved with the campaign and applied when the audience is frozen at
 * activation (activities/audience.ts turns it into SQL). Every condition is optional; an empty filter
 * selects every active donor of the client with an email or phone, as before filters existed. Conditions
 * combine with AND; a list inside one condition is OR.
 */
export interface AudienceFilter {
  /** RFM segments to include; `unscored` is donors without a segment (no gifts yet). */
  segments?: (RfmSegment | 'unscored')[];
  /** Donors carrying at least one of these tags. */
  tags_any?: string[];
  /** Donors carrying none of these tags. */
  exclude_tags?: string[];
  /** Journey stages (domain/journeys.ts: seed 001 mapped onto fundraising) to include. */
  stages?: string[];
  /** Last succeeded gift on or after this date (YYYY-MM-DD, UTC); donors who never gave do not match. */
  last_gift_after?: string;
  /** Last succeeded gift before this date (YYYY-MM-DD, UTC), or never given. */
  last_gift_before?: string;
  /** Succeeded gifts in one currency, net of refunds, in major units (e.g. dollars): at least `min`, at most `max`. */
  total_given?: { currency: string; min?: number; max?: number };
  has_email?: boolean;
  has_phone?: boolean;
  /** Leave out donors in the audience of another of the client's active or paused campaigns. */
  exclude_other_active_campaigns?: boolean;
  /**
   * The target customer profile in effect for the campaign (seed 004, its profile usage) selects too, where
   * its fields map onto donors (TARGET_PROFILE_FIELDS). No profile in effect: no condition.
   */
  target_profile?: boolean;
}

/**
 * How a target profile's fields map onto donors, who carry no demographics columns: interests are tags
 * (any in common, case-insensitive); the location and age are read from the donor's metadata, as CRMs
 * import them. A donor without the field a profile sets does not match it.
 */
export const TARGET_PROFILE_FIELDS = {
  interests: 'donor tags (at least one in common, case-insensitive)',
  'demographics.location.countries': 'metadata.country (ISO 3166-1 alpha-2, case-insensitive)',
  'demographics.location.states': 'metadata.state (case-insensitive)',
  'demographics.location.cities': 'metadata.city (case-insensitive)',
  'demographics.ageRange': 'metadata.birth_year (four digits): age this year between min and max',
} as const;

export const UNSCORED = 'unscored';
