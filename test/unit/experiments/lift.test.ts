import { normalCdf, twoProportionLift } from '../../../domain/experiments/lift';

describe('normalCdf', () => {
  it.each([
    [0, 0.5],
    [1, 0.8413447461],
    [-1, 0.1586552539],
    [1.96, 0.9750021049],
    [-1.96, 0.0249978951],
    [2.5758, 0.9949995763],
    [3, 0.9986501020],
  ])('Φ(%d) = %d', (x, expected) => {
    expect(normalCdf(x)).toBeCloseTo(expected, 6);
  });

  it('keeps relative precision deep in the lower tail', () => {
    // Φ(−6) ≈ 9.8659e-10: an absolute-error approximation would return noise or 0 here.
    expect(normalCdf(-6) / 9.865876450377012e-10).toBeCloseTo(1, 5);
  });

  it('is symmetric and increasing', () => {
    let previous = 0;
    for (let x = -8; x <= 8; x += 0.25) {
      expect(normalCdf(x) + normalCdf(-x)).toBeCloseTo(1, 12);
      expect(normalCdf(x)).toBeGreaterThanOrEqual(previous);
      previous = normalCdf(x);
    }
  });
});

describe('twoProportionLift', () => {
  it('matches a hand-computed example: 32 of 1,000 control against 48 of 1,000 test', () => {
    // Rates 0.032 and 0.048, difference 0.016, lift 0.016 / 0.032 = 50%.
    // Pooled: p = 80 / 2000 = 0.04; SE = √(0.04 · 0.96 · (1/1000 + 1/1000)) = √0.0000768 = 0.0087636;
    //   z = 0.016 / 0.0087636 = 1.8257; p = 2 · (1 − Φ(1.8257)) = 0.0679.
    // Unpooled: SE = √(0.032 · 0.968 / 1000 + 0.048 · 0.952 / 1000) = √0.000076672 = 0.0087563;
    //   95% CI = 0.016 ± 1.96 · 0.0087563 = [−0.00116, 0.03316].
    const lift = twoProportionLift({ recipients: 1_000, conversions: 32 }, { recipients: 1_000, conversions: 48 });
    expect(lift.controlRate).toBeCloseTo(0.032, 10);
    expect(lift.testRate).toBeCloseTo(0.048, 10);
    expect(lift.difference).toBeCloseTo(0.016, 10);
    expect(lift.liftPercent).toBeCloseTo(50, 8);
    expect(lift.pValue).toBeCloseTo(0.06789, 4);
    expect(lift.ci95[0]).toBeCloseTo(-0.001162, 5);
    expect(lift.ci95[1]).toBeCloseTo(0.033162, 5);
  });

  it.each([
    // control, test, p-value, CI low, CI high (reference values from an exact erfc)
    [[1_000, 120], [1_000, 150], 0.0496404, 0.0000760, 0.0599240],
    [[10_000, 200], [10_000, 300], 5.923318e-6, 0.0056747, 0.0143253],
    [[50, 5], [50, 15], 0.0124193, 0.0481818, 0.3518182],
  ])('control %p, test %p: p = %d, CI [%d, %d]', ([cr, cc], [tr, tc], p, low, high) => {
    const lift = twoProportionLift({ recipients: cr, conversions: cc }, { recipients: tr, conversions: tc });
    expect(lift.pValue! / p).toBeCloseTo(1, 5);
    expect(lift.ci95[0]).toBeCloseTo(low, 6);
    expect(lift.ci95[1]).toBeCloseTo(high, 6);
  });

  it('is significant at 5% just past z = 1.96 and not just before', () => {
    expect(twoProportionLift({ recipients: 1_000, conversions: 120 }, { recipients: 1_000, conversions: 150 }).pValue).toBeLessThan(0.05);
    expect(twoProportionLift({ recipients: 1_000, conversions: 120 }, { recipients: 1_000, conversions: 149 }).pValue).toBeGreaterThan(0.05);
  });

  it('reports a negative lift when the test group does worse, with the same p-value as the mirror case', () => {
    const worse = twoProportionLift({ recipients: 1_000, conversions: 48 }, { recipients: 1_000, conversions: 32 });
    const better = twoProportionLift({ recipients: 1_000, conversions: 32 }, { recipients: 1_000, conversions: 48 });
    expect(worse.liftPercent).toBeCloseTo(-33.333333, 5);
    expect(worse.difference).toBeCloseTo(-0.016, 10);
    expect(worse.pValue).toBeCloseTo(better.pValue!, 12);
  });

  it('gives p = 1 and a zero difference for identical groups', () => {
    const lift = twoProportionLift({ recipients: 500, conversions: 25 }, { recipients: 500, conversions: 25 });
    expect(lift.pValue).toBe(1);
    expect(lift.difference).toBe(0);
    expect(lift.liftPercent).toBe(0);
    expect(lift.ci95[0]).toBeCloseTo(-lift.ci95[1], 12);
  });

  it('has no lift percentage when the control group never converted', () => {
    const lift = twoProportionLift({ recipients: 1_000, conversions: 0 }, { recipients: 1_000, conversions: 10 });
    expect(lift.liftPercent).toBeNull();
    expect(lift.difference).toBeCloseTo(0.01, 12);
    expect(lift.pValue).not.toBeNull();
  });

  it('has no p-value when nobody converted, or everybody did', () => {
    const nobody = twoProportionLift({ recipients: 100, conversions: 0 }, { recipients: 100, conversions: 0 });
    expect(nobody).toEqual({ controlRate: 0, testRate: 0, liftPercent: null, difference: 0, ci95: [0, 0], pValue: null });
    const everybody = twoProportionLift({ recipients: 100, conversions: 100 }, { recipients: 50, conversions: 50 });
    expect(everybody.pValue).toBeNull();
    expect(everybody.liftPercent).toBe(0);
  });

  it.each([
    [{ recipients: 0, conversions: 0 }, { recipients: 100, conversions: 10 }],
    [{ recipients: 100, conversions: 10 }, { recipients: 0, conversions: 0 }],
    [{ recipients: 0, conversions: 0 }, { recipients: 0, conversions: 0 }],
  ])('knows nothing about the difference when a group is empty (%p vs %p)', (control, test) => {
    const lift = twoProportionLift(control, test);
    expect(lift.pValue).toBeNull();
    expect(lift.ci95).toEqual([-1, 1]);
  });

  it('clips the interval to the possible range of a difference in rates', () => {
    const lift = twoProportionLift({ recipients: 2, conversions: 0 }, { recipients: 2, conversions: 1 });
    expect(lift.ci95[0]).toBeGreaterThanOrEqual(-1);
    expect(lift.ci95[1]).toBeLessThanOrEqual(1);
    expect(lift.ci95[1]).toBe(1);
  });

  it.each([
    [{ recipients: 10, conversions: 11 }],
    [{ recipients: 10, conversions: -1 }],
    [{ recipients: 10.5, conversions: 1 }],
  ])('rejects impossible counts %p', (group) => {
    expect(() => twoProportionLift(group, { recipients: 10, conversions: 1 })).toThrow(RangeError);
    expect(() => twoProportionLift({ recipients: 10, conversions: 1 }, group)).toThrow(/test group/);
  });
});
