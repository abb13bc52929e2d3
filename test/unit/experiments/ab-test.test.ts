import { AB_ALPHA, abAssignment, abBucket, decideWinner, wilsonInterval } from '../../../domain/experiments/ab-test';

describe('wilsonInterval', () => {
  it.each([
    // Reference values: Newcombe (1998) Table I, and the score interval computed by hand.
    [{ recipients: 100, conversions: 10 }, [0.0552, 0.1744]],
    [{ recipients: 29, conversions: 0 }, [0, 0.1170]],
    [{ recipients: 10, conversions: 10 }, [0.7225, 1]],
    [{ recipients: 263, conversions: 81 }, [0.2553, 0.3662]],
  ])('%o → %o', (counts, [low, high]) => {
    const [lo, hi] = wilsonInterval(counts);
    expect(lo).toBeCloseTo(low, 4);
    expect(hi).toBeCloseTo(high, 4);
  });

  it('is [0, 1] for an empty variant, stays inside [0, 1], and contains the observed rate', () => {
    expect(wilsonInterval({ recipients: 0, conversions: 0 })).toEqual([0, 1]);
    for (let n = 1; n <= 60; n += 7) {
      for (let x = 0; x <= n; x++) {
        const [lo, hi] = wilsonInterval({ recipients: n, conversions: x });
        expect(lo).toBeGreaterThanOrEqual(0);
        expect(hi).toBeLessThanOrEqual(1);
        expect(lo).toBeLessThanOrEqual(x / n + 1e-12);
        expect(hi).toBeGreaterThanOrEqual(x / n - 1e-12);
      }
    }
  });

  it('refuses impossible counts', () => {
    expect(() => wilsonInterval({ recipients: 5, conversions: 6 })).toThrow(RangeError);
    expect(() => wilsonInterval({ recipients: 5.5, conversions: 1 })).toThrow(RangeError);
  });
});

describe('decideWinner', () => {
  it('picks the best rate and calls a clear difference significant', () => {
    // 10% vs 16% of 500 each: z ≈ 2.82, two-sided p ≈ 0.0048.
    const decision = decideWinner([{ recipients: 500, conversions: 50 }, { recipients: 500, conversions: 80 }]);
    expect(decision.winner).toBe(1);
    expect(decision.pValue).toBeCloseTo(0.0048, 3);
    expect(decision.significant).toBe(true);
    expect(decision.results.map((r) => r.rate)).toEqual([0.1, 0.16]);
  });

  it('does not call a small difference significant, and corrects for several comparisons', () => {
    expect(decideWinner([{ recipients: 100, conversions: 10 }, { recipients: 100, conversions: 12 }]).significant).toBe(false);
    // p ≈ 0.03 against each rival: significant for two variants, not at 0.05 / 3 with four.
    const two = decideWinner([{ recipients: 400, conversions: 40 }, { recipients: 400, conversions: 60 }]);
    expect(two.pValue!).toBeGreaterThan(AB_ALPHA / 3);
    expect(two.pValue!).toBeLessThan(AB_ALPHA);
    expect(two.significant).toBe(true);
    const four = decideWinner([{ recipients: 400, conversions: 40 }, { recipients: 400, conversions: 60 }, { recipients: 400, conversions: 40 }, { recipients: 400, conversions: 40 }]);
    expect([four.winner, four.significant]).toEqual([1, false]);
  });

  it('gives a tie to the earliest variant, and has no p-value when nobody succeeded', () => {
    const none = decideWinner([{ recipients: 50, conversions: 0 }, { recipients: 50, conversions: 0 }, { recipients: 50, conversions: 0 }]);
    expect([none.winner, none.pValue, none.significant]).toEqual([0, null, false]);
    expect(decideWinner([{ recipients: 50, conversions: 5 }, { recipients: 80, conversions: 8 }]).winner).toBe(0);
  });

  it('refuses fewer than two or more than four variants', () => {
    expect(() => decideWinner([{ recipients: 1, conversions: 0 }])).toThrow(/2-4 variants/);
    expect(() => decideWinner(Array.from({ length: 5 }, () => ({ recipients: 1, conversions: 0 })))).toThrow(/2-4 variants/);
  });
});

describe('abAssignment', () => {
  it('splits the test share evenly across the variants and leaves the rest for the winner', () => {
    const counts = new Map<string, number>();
    const n = 20_000;
    for (let i = 0; i < n; i++) {
      const place = abAssignment(abBucket(`campaign:3:donor-${i}`), 0.2, 3);
      const key = place.kind === 'rest' ? 'rest' : `v${place.index}`;
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    expect(counts.get('rest')! / n).toBeCloseTo(0.8, 1);
    for (const key of ['v0', 'v1', 'v2']) expect(Math.abs(counts.get(key)! / n - 0.2 / 3)).toBeLessThan(0.01);
  });

  it('places the same bucket the same way, at the edges too', () => {
    expect(abAssignment(0, 0.2, 2)).toEqual({ kind: 'variant', index: 0 });
    expect(abAssignment(0.0999, 0.2, 2)).toEqual({ kind: 'variant', index: 0 });
    expect(abAssignment(0.1, 0.2, 2)).toEqual({ kind: 'variant', index: 1 });
    expect(abAssignment(0.2, 0.2, 2)).toEqual({ kind: 'rest' });
    expect(abAssignment(0.999, 1, 4)).toEqual({ kind: 'variant', index: 3 });
    expect(abBucket('same key')).toBe(abBucket('same key'));
    expect(() => abAssignment(1, 0.2, 2)).toThrow(RangeError);
    expect(() => abAssignment(0.5, 0, 2)).toThrow(RangeError);
  });
});
