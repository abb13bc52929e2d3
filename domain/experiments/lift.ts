/**
 * Control versus test: a two-proportion z-test. The p-value uses the pooled standard error (the null
 * hypothesis says both groups convert alike); the 95% interval of the difference uses the unpooled one.
 */
export interface GroupCounts { recipients: number; conversions: number }
export interface Lift {
  controlRate: number;
  testRate: number;
  /** (test − control) / control in percent; null when the control group never converted. */
  liftPercent: number | null;
  /** test rate − control rate. */
  difference: number;
  /** Wald interval of the difference, clipped to [−1, 1]; all of [−1, 1] when a group is empty. */
  ci95: [number, number];
  /** Two-sided; null when the test is undefined (an empty group, or nobody or everybody converted). */
  pValue: number | null;
}

/** Φ⁻¹(0.975). */
const Z95 = 1.959963984540054;

export function twoProportionLift(control: GroupCounts, test: GroupCounts): Lift {
  requireCounts('control', control);
  requireCounts('test', test);
  const controlRate = rate(control);
  const testRate = rate(test);
  const difference = testRate - controlRate;
  const bothObserved = control.recipients > 0 && test.recipients > 0;
  return {
    controlRate,
    testRate,
    liftPercent: controlRate > 0 ? (difference / controlRate) * 100 : null,
    difference,
    ci95: bothObserved ? waldInterval(control, test, difference) : [-1, 1],
    pValue: bothObserved ? pooledPValue(control, test, difference) : null,
  };
}

function waldInterval(control: GroupCounts, test: GroupCounts, difference: number): [number, number] {
  const se = Math.sqrt(variance(rate(control)) / control.recipients + variance(rate(test)) / test.recipients);
  return [Math.max(-1, difference - Z95 * se), Math.min(1, difference + Z95 * se)];
}

function pooledPValue(control: GroupCounts, test: GroupCounts, difference: number): number | null {
  const pooled = (control.conversions + test.conversions) / (control.recipients + test.recipients);
  if (pooled === 0 || pooled === 1) return null;
  const se = Math.sqrt(variance(pooled) * (1 / control.recipients + 1 / test.recipients));
  // erfc keeps its precision far into the tail, where 1 − Φ(z) would cancel to 0.
  return erfc(Math.abs(difference) / se / Math.SQRT2);
}

const variance = (p: number) => p * (1 - p);

function rate({ recipients, conversions }: GroupCounts): number {
  return recipients > 0 ? conversions / recipients : 0;
}

function requireCounts(group: string, { recipients, conversions }: GroupCounts): void {
  if (!Number.isInteger(recipients) || !Number.isInteger(conversions) || conversions < 0 || conversions > recipients) {
    throw new RangeError(`${group} group needs whole counts with 0 ≤ conversions ≤ recipients, got ${conversions} of ${recipients}`);
  }
}

/** The standard normal distribution function Φ(x). */
export function normalCdf(x: number): number {
  const tail = 0.5 * erfc(Math.abs(x) / Math.SQRT2);
  return x >= 0 ? 1 - tail : tail;
}

/**
 * Complementary error function for x ≥ 0, Numerical Recipes' Chebyshev fit (erfcc): relative error below
 * 1.2e-7 everywhere, so small p-values keep their digits (A&S 7.1.26 only bounds the absolute error).
 */
function erfc(x: number): number {
  const t = 1 / (1 + 0.5 * x);
  const poly = -1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806
    + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277))))))));
  // The fit overshoots 1 by 3e-8 at 0; erfc never exceeds 1 for x ≥ 0, and Φ(0) must be exactly ½.
  return Math.min(1, t * Math.exp(-x * x + poly));
}
