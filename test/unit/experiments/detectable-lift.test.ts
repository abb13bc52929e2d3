import { controlShareNeeded, minimumDetectableLift } from '../../../domain/experiments/detectable-lift';

describe('minimum detectable lift (domain/experiments/detectable-lift.ts)', () => {
  it('matches the textbook sample size: 8,158 per group detect 5% → 6% (a 20% lift) at 80% power, 95% confidence', () => {
    // Fleiss et al.'s n = [z.975·√(2p̄q̄) + z.8·√(p1q1 + p2q2)]² / δ² = 8,157.7 for p1 = .05, p2 = .06.
    const found = minimumDetectableLift({ control: 8158, test: 8158, baselineRate: 0.05 })!;
    expect(found.difference).toBeCloseTo(0.01, 5);
    expect(found.liftPercent).toBeCloseTo(20, 2);
    // One donor fewer per group is not quite enough for 20%.
    expect(minimumDetectableLift({ control: 8157, test: 8157, baselineRate: 0.05 })!.liftPercent).toBeGreaterThan(20);
  });

  it('shrinks as either group grows, and is smallest for a given audience at an even split', () => {
    const lift = (control: number, test: number) => minimumDetectableLift({ control, test, baselineRate: 0.03 })!.liftPercent;
    expect(lift(1000, 9000)).toBeGreaterThan(lift(2000, 9000));
    expect(lift(1000, 9000)).toBeGreaterThan(lift(1000, 20_000));
    expect(lift(5000, 5000)).toBeLessThan(lift(4000, 6000));
    expect(lift(5000, 5000)).toBeLessThan(lift(1000, 9000));
  });

  it('is null when a group is empty or even a 100% conversion rate would not show', () => {
    expect(minimumDetectableLift({ control: 0, test: 1000, baselineRate: 0.05 })).toBeNull();
    expect(minimumDetectableLift({ control: 1000, test: 0, baselineRate: 0.05 })).toBeNull();
    expect(minimumDetectableLift({ control: 1, test: 1, baselineRate: 0.5 })).toBeNull();
  });

  it('refuses impossible inputs', () => {
    expect(() => minimumDetectableLift({ control: 1.5, test: 10, baselineRate: 0.1 })).toThrow(RangeError);
    expect(() => minimumDetectableLift({ control: 10, test: -1, baselineRate: 0.1 })).toThrow(RangeError);
    for (const rate of [0, 1, -0.1, Number.NaN]) expect(() => minimumDetectableLift({ control: 10, test: 10, baselineRate: rate })).toThrow(RangeError);
    expect(() => controlShareNeeded(100, 0.1, 0)).toThrow(RangeError);
  });

  it('finds the smallest control share that detects the expected lift, or null when half and half cannot', () => {
    const share = controlShareNeeded(100_000, 0.05, 15)!;
    expect(share).toBeGreaterThan(0);
    expect(share).toBeLessThan(0.5);
    const detects = (s: number) => minimumDetectableLift({ control: Math.round(100_000 * s), test: 100_000 - Math.round(100_000 * s), baselineRate: 0.05 })!.liftPercent <= 15;
    expect(detects(share)).toBe(true);
    expect(detects(share - 0.002)).toBe(false);
    expect(controlShareNeeded(500, 0.05, 15)).toBeNull();
  });
});
