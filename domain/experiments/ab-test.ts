import { type GroupCounts, twoProportionLift } from './lift';

/**
 * The statistics of A/B tests on a step (issue 14 item 4), pure so the workflow, the activities and the
 * reports share them: who is in the test share and in which variant, each variant's rate with its 95%
 * Wilson interval, and the winner with whether it won significantly.
 */

/** Share of a step's recipients the variants are tried on, unless the step says otherwise. */
export const AB_DEFAULT_TEST_SHARE = 0.2;
export const AB_MIN_VARIANTS = 2;
export const AB_MAX_VARIANTS = 4;
/** Significance level of the winner's test (before the correction for several comparisons). */
export const AB_ALPHA = 0.05;

/** Φ⁻¹(0.975). */
const Z95 = 1.959963984540054;

/** Where a recipient goes: variant `index` (tried in the test share) or the rest (who get the winner). */
export type AbAssignment = { kind: 'variant'; index: number } | { kind: 'rest' };

/**
 * A recipient's place from a uniform bucket in [0, 1) (e.g. abBucket of their id): the first `share` of the
 * range is split evenly across the variants, the remainder waits for the winner. The same bucket always
 * lands in the same place, so a retried batch assigns alike.
 */
export function abAssignment(bucket: number, share: number, variants: number): AbAssignment {
  if (!(bucket >= 0 && bucket < 1)) throw new RangeError(`a bucket is in [0, 1), got ${bucket}`);
  if (!(share > 0 && share <= 1)) throw new RangeError(`the test share is in (0, 1], got ${share}`);
  requireVariantCount(variants);
  if (bucket >= share) return { kind: 'rest' };
  return { kind: 'variant', index: Math.min(variants - 1, Math.floor((bucket / share) * variants)) };
}

/** A deterministic, evenly spread bucket in [0, 1) for a key (FNV-1a, 32 bits): no I/O, so workflow code may use it. */
export function abBucket(key: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    hash ^= key.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash / 2 ** 32;
}

/**
 * The 95% Wilson score interval of a proportion (Wilson 1927; Brown, Cai & DasGupta 2001 recommend it over
 * the Wald interval for small counts and rates near 0 or 1). [0, 1] when nobody was sent anything.
 */
export function wilsonInterval({ recipients: n, conversions: x }: GroupCounts): [number, number] {
  requireCounts({ recipients: n, conversions: x });
  if (n === 0) return [0, 1];
  const p = x / n;
  const z2 = Z95 * Z95;
  const denominator = 1 + z2 / n;
  const center = (p + z2 / (2 * n)) / denominator;
  const half = (Z95 / denominator) * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n));
  return [Math.max(0, center - half), Math.min(1, center + half)];
}

export interface VariantResult extends GroupCounts {
  index: number;
  rate: number;
  ci95: [number, number];
}

export interface AbDecision {
  /** Index of the variant with the best rate; ties go to the earliest variant. */
  winner: number;
  results: VariantResult[];
  /**
   * The largest two-sided p-value of the winner against each other variant (two-proportion z-test,
   * domain/experiments/lift.ts); null when a comparison is undefined (an empty variant, or no variant had any success).
   */
  pValue: number | null;
  /** The winner beat every other variant at AB_ALPHA, Bonferroni-corrected for the k − 1 comparisons. */
  significant: boolean;
}

/** Picks the variant with the best rate (successes: opens or clicks per recipient) and says whether it won significantly. */
export function decideWinner(variants: GroupCounts[]): AbDecision {
  requireVariantCount(variants.length);
  variants.forEach(requireCounts);
  const results = variants.map((counts, index): VariantResult => ({
    index, ...counts, rate: counts.recipients > 0 ? counts.conversions / counts.recipients : 0, ci95: wilsonInterval(counts),
  }));
  const winner = results.reduce((best, result) => (result.rate > best.rate ? result : best)).index;
  const pValues = results.filter((r) => r.index !== winner).map((other) => twoProportionLift(other, variants[winner]).pValue);
  const pValue = pValues.some((p) => p === null) ? null : Math.max(...(pValues as number[]));
  return { winner, results, pValue, significant: pValue !== null && pValue < AB_ALPHA / (variants.length - 1) };
}

function requireVariantCount(variants: number): void {
  if (!Number.isInteger(variants) || variants < AB_MIN_VARIANTS || variants > AB_MAX_VARIANTS) {
    throw new RangeError(`an A/B test has ${AB_MIN_VARIANTS}-${AB_MAX_VARIANTS} variants, got ${variants}`);
  }
}

function requireCounts({ recipients, conversions }: GroupCounts): void {
  if (!Number.isInteger(recipients) || !Number.isInteger(conversions) || conversions < 0 || conversions > recipients) {
    throw new RangeError(`a variant needs whole counts with 0 ≤ successes ≤ recipients, got ${conversions} of ${recipients}`);
  }
}

/** What a step's A/B test compares. */
export const AB_METRICS = ['opens', 'clicks'] as const;
export type AbMetric = (typeof AB_METRICS)[number];

/** One variant: the step's subject line and/or message replaced (the rest of the step stays as written). */
export interface StepVariant { subject_line?: string; message?: string }

/**
 * A step's A/B test as stored on track15_narrative_steps.ab_test: 2–4 variants, the metric that decides,
 * the share of the step's recipients the variants are tried on (0–1) and the hours to wait for events
 * before deciding (at real pace; a rehearsal-pace campaign scales them with its day length).
 */
export interface StepAbTest {
  variants: StepVariant[];
  metric: AbMetric;
  test_share: number;
  wait_hours: number;
}

/** The step as variant `index` reads it: its subject line and message replaced where the variant sets them. */
export function withVariant<T extends { subject_line: string; message: string }>(step: T, variant: StepVariant): T {
  return { ...step, subject_line: variant.subject_line ?? step.subject_line, message: variant.message ?? step.message };
}

/** The waiting time of a test in milliseconds: hours at real pace, scaled by the campaign's day (seconds per day / 86,400). */
export function abWaitMs(waitHours: number, dayLengthSeconds: number): number {
  return Math.round(waitHours * 3600 * 1000 * (dayLengthSeconds / 86_400));
}

/** The bucket of a recipient for one step's test: the campaign and step are in the key, so each test splits afresh. */
export function recipientBucket(campaignId: string, stepNumber: number, donorId: string): number {
  return abBucket(`${campaignId}:${stepNumber}:${donorId}`);
}

/** The decision of a step's A/B test, as recorded in step_ab_decisions and answered by the touchpoint's `abDecision` query. */
export interface AbDecisionRecord {
  stepNumber: number;
  metric: AbMetric;
  /** Per variant, in order: recipients sent, conversions (opened or clicked), rate and its 95% Wilson interval. */
  variants: VariantResult[];
  winner: number;
  significant: boolean;
  pValue: number | null;
  decidedAt: string;
}
