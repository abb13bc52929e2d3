/**
 * Before launch: can a control-versus-test comparison of this size detect anything? The minimum detectable
 * lift of a two-sided two-proportion z-test at 95% confidence and 80% power, for unequal group sizes,
 * without continuity correction: the smallest difference δ = p₂ − p₁ that satisfies
 *
 *   δ = z₀.₉₇₅ · √( p̄(1 − p̄)(1/n_c + 1/n_t) ) + z₀.₈ · √( p₁(1 − p₁)/n_c + p₂(1 − p₂)/n_t ),
 *   p̄ = (n_c·p₁ + n_t·p₂) / (n_c + n_t),
 *
 * the sample-size formula of Fleiss, Levin & Paik, "Statistical Methods for Rates and Proportions"
 * (3rd ed., Wiley 2003), ch. 4, solved for δ instead of n (δ appears on both sides, so it is found by
 * bisection). p₁ is the control group's (historical) conversion rate; the test applied at the end of the
 * arc is domain/experiments/lift.ts's pooled z-test, the same test this plans for. Pure: the API and workflows may use it.
 */

/** Φ⁻¹(0.975): two-sided 95% confidence. */
const Z_CONFIDENCE = 1.959963984540054;
/** Φ⁻¹(0.80): 80% power. */
const Z_POWER = 0.8416212335729143;

export interface DetectableLiftInput {
  /** Donors in the control group and in the test group (whole numbers). */
  control: number;
  test: number;
  /** The control group's expected conversion rate, 0 < rate < 1 (the client's historical rate). */
  baselineRate: number;
}

export interface DetectableLift {
  /** Smallest detectable p₂ − p₁ (absolute, as a rate). */
  difference: number;
  /** The same relative to the baseline, in percent: 100·δ/p₁. */
  liftPercent: number;
}

/** The minimum detectable lift, or null when no lift can be detected (an empty group, or not even p₂ = 1). */
export function minimumDetectableLift({ control, test, baselineRate }: DetectableLiftInput): DetectableLift | null {
  requireGroup('control', control);
  requireGroup('test', test);
  if (!(baselineRate > 0 && baselineRate < 1)) throw new RangeError(`baselineRate must be between 0 and 1 (exclusive), got ${baselineRate}`);
  if (control === 0 || test === 0) return null;
  // surplus(δ) = δ − required(δ) is negative for small δ and grows with it: the root is the minimum detectable δ.
  const surplus = (delta: number) => delta - requiredDifference(control, test, baselineRate, baselineRate + delta);
  let low = 0;
  let high = 1 - baselineRate;
  if (surplus(high) < 0) return null;
  for (let i = 0; i < 100 && high - low > 1e-12; i++) {
    const middle = (low + high) / 2;
    if (surplus(middle) < 0) low = middle; else high = middle;
  }
  return { difference: high, liftPercent: (high / baselineRate) * 100 };
}

function requiredDifference(control: number, test: number, p1: number, p2: number): number {
  const pooled = (control * p1 + test * p2) / (control + test);
  return Z_CONFIDENCE * Math.sqrt(pooled * (1 - pooled) * (1 / control + 1 / test))
    + Z_POWER * Math.sqrt((p1 * (1 - p1)) / control + (p2 * (1 - p2)) / test);
}

/**
 * The smallest control share (at most `maxShare`, a tenth of a percent precise) at which an audience of
 * `audience` donors detects `liftPercent`, or null when even `maxShare` cannot. Detectability improves as
 * the split nears half and half, so this is found by bisection on the share.
 */
export function controlShareNeeded(audience: number, baselineRate: number, liftPercent: number, maxShare = 0.5): number | null {
  requireGroup('audience', audience);
  if (!(liftPercent > 0)) throw new RangeError(`liftPercent must be positive, got ${liftPercent}`);
  const detects = (share: number) => {
    const control = Math.round(audience * share);
    const found = minimumDetectableLift({ control, test: audience - control, baselineRate });
    return found !== null && found.liftPercent <= liftPercent;
  };
  if (!detects(maxShare)) return null;
  let low = 0;
  let high = maxShare;
  while (high - low > 0.0005) {
    const middle = (low + high) / 2;
    if (detects(middle)) high = middle; else low = middle;
  }
  return Math.ceil(high * 1000) / 1000;
}

function requireGroup(name: string, size: number): void {
  if (!Number.isInteger(size) || size < 0) throw new RangeError(`${name} must be a whole number of donors, got ${size}`);
}
