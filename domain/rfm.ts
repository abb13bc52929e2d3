/**
 * RFM scoring (seed 000 thresholds) and segment assignment. The seed's segment table overlaps and leaves
 * gaps, so rules are tried in specificity order and a score no rule matches falls back by recency:
 * every one of the 125 score combinations gets exactly one segment.
 */
export const RFM_SEGMENTS = ['Champions', 'Loyal', 'Potential Loyalists', 'New Donors', 'Promising', 'Need Attention', 'At Risk'] as const;
export type RfmSegment = (typeof RFM_SEGMENTS)[number];
export type Score = 1 | 2 | 3 | 4 | 5;

// The thresholds are data, not code, so the set-based SQL recalculation builds its CASE expressions from
// the same numbers. Each list runs from score 5 down to score 2; anything beyond the last scores 1.
/** Score 5 when the last gift is at most 30 days old, 4 at most 90, 3 at most 180, 2 at most 365, else 1. */
export const RECENCY_MAX_DAYS = [30, 90, 180, 365] as const;
/** Score 5 from 10 gifts, 4 from 6, 3 from 3, 2 from 2, else 1. */
export const FREQUENCY_MIN_GIFTS = [10, 6, 3, 2] as const;
/** Score 5 from $1,000 in total, 4 from $500, 3 from $200, 2 from $50, else 1 (in cents). */
export const MONETARY_MIN_CENTS = [100_000, 50_000, 20_000, 5_000] as const;

type Range = readonly [min: Score, max: Score];
export interface SegmentRule { segment: RfmSegment; r: Range; f: Range; m: Range }

/** Seed 000's table, most specific first: the first rule whose three ranges hold wins. */
export const SEGMENT_RULES: readonly SegmentRule[] = [
  { segment: 'Champions', r: [4, 5], f: [4, 5], m: [4, 5] },
  { segment: 'New Donors', r: [4, 5], f: [1, 1], m: [1, 2] },
  { segment: 'Loyal', r: [3, 5], f: [3, 5], m: [3, 5] },
  { segment: 'Potential Loyalists', r: [4, 5], f: [1, 3], m: [1, 3] },
  { segment: 'Promising', r: [3, 4], f: [2, 3], m: [2, 3] },
  { segment: 'Need Attention', r: [2, 3], f: [2, 4], m: [2, 4] },
  { segment: 'At Risk', r: [1, 2], f: [1, 3], m: [1, 3] },
];

/** When no rule matches, recency decides: the first entry whose minimum the R score reaches. */
export const RECENCY_FALLBACK: readonly { minRecency: Score; segment: RfmSegment }[] = [
  { minRecency: 4, segment: 'Potential Loyalists' },
  { minRecency: 3, segment: 'Need Attention' },
  { minRecency: 1, segment: 'At Risk' },
];

export function recencyScore(daysSinceLastGift: number): Score {
  if (!(daysSinceLastGift >= 0)) throw new RangeError(`days since the last gift must be 0 or more, got ${daysSinceLastGift}`);
  const index = RECENCY_MAX_DAYS.findIndex((max) => daysSinceLastGift <= max);
  return scoreAt(index);
}

export function frequencyScore(giftCount: number): Score {
  if (!Number.isInteger(giftCount) || giftCount < 1) throw new RangeError(`a scored donor has a whole number of gifts, at least one, got ${giftCount}`);
  return scoreAt(FREQUENCY_MIN_GIFTS.findIndex((min) => giftCount >= min));
}

export function monetaryScore(totalCents: number): Score {
  return scoreAt(MONETARY_MIN_CENTS.findIndex((min) => totalCents >= min));
}

/** Position in a threshold list to score: the first threshold is worth 5, no threshold at all is worth 1. */
function scoreAt(index: number): Score {
  return (index === -1 ? 1 : 5 - index) as Score;
}

const within = (score: Score, [min, max]: Range) => score >= min && score <= max;

/** The rule that decides a score, or undefined when the scores fall in a gap of the seed's table. */
export function matchSegmentRule(r: Score, f: Score, m: Score): SegmentRule | undefined {
  return SEGMENT_RULES.find((rule) => within(r, rule.r) && within(f, rule.f) && within(m, rule.m));
}

export function assignSegment(r: Score, f: Score, m: Score): RfmSegment {
  // The last fallback starts at the lowest score, so the find always succeeds.
  return matchSegmentRule(r, f, m)?.segment ?? RECENCY_FALLBACK.find((fallback) => r >= fallback.minRecency)!.segment;
}

export interface DonorScore { r: Score; f: Score; m: Score; segment: RfmSegment }
export interface ScoredGift { amountCents: number; at: Date }

const DAY_MS = 86_400_000;

/** Scores a donor's succeeded gifts as of a date (later gifts are ignored); null when there are none. */
export function scoreDonor(gifts: readonly ScoredGift[], asOf: Date): DonorScore | null {
  const counted = gifts.filter((gift) => gift.at.getTime() <= asOf.getTime());
  if (counted.length === 0) return null;
  // reduce rather than Math.max(...spread): a long-time donor's history can outgrow the argument limit.
  const last = counted.reduce((latest, gift) => Math.max(latest, gift.at.getTime()), -Infinity);
  const r = recencyScore(Math.floor((asOf.getTime() - last) / DAY_MS));
  const f = frequencyScore(counted.length);
  const m = monetaryScore(counted.reduce((sum, gift) => sum + gift.amountCents, 0));
  return { r, f, m, segment: assignSegment(r, f, m) };
}
