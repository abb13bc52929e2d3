import {
  FREQUENCY_MIN_GIFTS, MONETARY_MIN_CENTS, RECENCY_FALLBACK, RECENCY_MAX_DAYS, RFM_SEGMENTS, SEGMENT_RULES,
  type RfmSegment, type Score, assignSegment, frequencyScore, matchSegmentRule, monetaryScore, recencyScore, scoreDonor,
} from '../../domain/rfm';

const SCORES: Score[] = [1, 2, 3, 4, 5];
const DAY = 86_400_000;

describe('recencyScore', () => {
  it.each([
    [0, 5], [30, 5], [31, 4], [90, 4], [91, 3], [180, 3], [181, 2], [365, 2], [366, 1], [5000, 1],
  ])('%i days since the last gift scores %i', (days, score) => {
    expect(recencyScore(days)).toBe(score);
  });

  it.each([-1, Number.NaN])('rejects %p days', (days) => {
    expect(() => recencyScore(days)).toThrow(RangeError);
  });
});

describe('frequencyScore', () => {
  it.each([[1, 1], [2, 2], [3, 3], [5, 3], [6, 4], [9, 4], [10, 5], [250, 5]])('%i gifts score %i', (count, score) => {
    expect(frequencyScore(count)).toBe(score);
  });

  it.each([0, -3, 1.5])('rejects %p gifts: a scored donor has given', (count) => {
    expect(() => frequencyScore(count)).toThrow(RangeError);
  });
});

describe('monetaryScore', () => {
  it.each([
    [0, 1], [4_999, 1], [5_000, 2], [19_999, 2], [20_000, 3], [49_999, 3], [50_000, 4], [99_999, 4], [100_000, 5], [10_000_000, 5],
  ])('%i cents in total scores %i', (cents, score) => {
    expect(monetaryScore(cents)).toBe(score);
  });
});

describe('thresholds as data', () => {
  // A SQL builder turns these into CASE expressions; each score must change exactly at its threshold.
  it.each(RECENCY_MAX_DAYS.map((max, index) => [max, 5 - index] as const))('recency: %i days is the last day scoring %i', (max, score) => {
    expect(recencyScore(max)).toBe(score);
    expect(recencyScore(max + 1)).toBe(score - 1);
  });

  it.each(FREQUENCY_MIN_GIFTS.map((min, index) => [min, 5 - index] as const))('frequency: %i gifts is the first count scoring %i', (min, score) => {
    expect(frequencyScore(min)).toBe(score);
    expect(frequencyScore(min - 1)).toBe(score - 1);
  });

  it.each(MONETARY_MIN_CENTS.map((min, index) => [min, 5 - index] as const))('monetary: %i cents is the first total scoring %i', (min, score) => {
    expect(monetaryScore(min)).toBe(score);
    expect(monetaryScore(min - 1)).toBe(score - 1);
  });
});

describe('segment rules', () => {
  it('are tried in precedence order Champions, New Donors, Loyal, Potential Loyalists, Promising, Need Attention, At Risk', () => {
    expect(SEGMENT_RULES.map((rule) => rule.segment)).toEqual(
      ['Champions', 'New Donors', 'Loyal', 'Potential Loyalists', 'Promising', 'Need Attention', 'At Risk'],
    );
  });

  it("keep seed 000's ranges", () => {
    const ranges = Object.fromEntries(SEGMENT_RULES.map(({ segment, r, f, m }) => [segment, [r, f, m]]));
    expect(ranges).toEqual({
      Champions: [[4, 5], [4, 5], [4, 5]],
      Loyal: [[3, 5], [3, 5], [3, 5]],
      'Potential Loyalists': [[4, 5], [1, 3], [1, 3]],
      'New Donors': [[4, 5], [1, 1], [1, 2]],
      Promising: [[3, 4], [2, 3], [2, 3]],
      'Need Attention': [[2, 3], [2, 4], [2, 4]],
      'At Risk': [[1, 2], [1, 3], [1, 3]],
    });
  });

  it('fall back by recency: R 4-5 Potential Loyalists, R 3 Need Attention, R 1-2 At Risk', () => {
    expect(RECENCY_FALLBACK).toEqual([
      { minRecency: 4, segment: 'Potential Loyalists' },
      { minRecency: 3, segment: 'Need Attention' },
      { minRecency: 1, segment: 'At Risk' },
    ]);
  });
});

describe('assignSegment', () => {
  /*
   * Worked out by hand from the seed's table, one grid per R score: rows are F 1..5, columns M 1..5.
   * A trailing '*' marks a gap in the table, filled by the recency fallback.
   */
  const CODES: Record<string, RfmSegment> = {
    C: 'Champions', L: 'Loyal', PL: 'Potential Loyalists', ND: 'New Donors', Pr: 'Promising', NA: 'Need Attention', AR: 'At Risk',
  };
  const RECENT = [
    'ND  ND  PL  PL* PL*',
    'PL  PL  PL  PL* PL*',
    'PL  PL  L   L   L',
    'PL* PL* L   C   C',
    'PL* PL* L   C   C',
  ];
  const GRIDS: Record<Score, string[]> = {
    5: RECENT,
    // Potential Loyalists covers all of Promising's ground at R 4, so R 4 reads like R 5.
    4: RECENT,
    3: [
      'NA* NA* NA* NA* NA*',
      'NA* Pr  Pr  NA  NA*',
      'NA* Pr  L   L   L',
      'NA* NA  L   L   L',
      'NA* NA* L   L   L',
    ],
    2: [
      'AR  AR  AR  AR* AR*',
      'AR  NA  NA  NA  AR*',
      'AR  NA  NA  NA  AR*',
      'AR* NA  NA  NA  AR*',
      'AR* AR* AR* AR* AR*',
    ],
    1: [
      'AR  AR  AR  AR* AR*',
      'AR  AR  AR  AR* AR*',
      'AR  AR  AR  AR* AR*',
      'AR* AR* AR* AR* AR*',
      'AR* AR* AR* AR* AR*',
    ],
  };
  const TABLE = SCORES.flatMap((r) => SCORES.flatMap((f) => SCORES.map((m) => {
    const cell = GRIDS[r][f - 1].trim().split(/\s+/)[m - 1];
    const fallback = cell.endsWith('*');
    return { r, f, m, segment: CODES[cell.replace('*', '')], fallback };
  })));

  it('the hand-made table covers all 125 score combinations', () => {
    expect(TABLE).toHaveLength(125);
    expect(TABLE.every((row) => row.segment !== undefined)).toBe(true);
  });

  it.each(TABLE)('R$r F$f M$m is $segment (fallback: $fallback)', ({ r, f, m, segment, fallback }) => {
    expect(assignSegment(r, f, m)).toBe(segment);
    expect(matchSegmentRule(r, f, m)?.segment).toBe(fallback ? undefined : segment);
  });

  it('gives every combination exactly one known segment, the same every time', () => {
    for (const { r, f, m } of TABLE) {
      const segment = assignSegment(r, f, m);
      expect(RFM_SEGMENTS).toContain(segment);
      expect(assignSegment(r, f, m)).toBe(segment);
    }
  });

  it('reaches every segment', () => {
    const reached = new Set(TABLE.map(({ r, f, m }) => assignSegment(r, f, m)));
    expect([...reached].sort()).toEqual([...RFM_SEGMENTS].sort());
  });

  it.each([
    [5, 1, 1, 'New Donors', 'Potential Loyalists'],
    [4, 1, 2, 'New Donors', 'Potential Loyalists'],
    [5, 5, 5, 'Champions', 'Loyal'],
    [4, 4, 4, 'Champions', 'Loyal'],
    [4, 3, 3, 'Loyal', 'Potential Loyalists'],
    [4, 2, 2, 'Potential Loyalists', 'Promising'],
    [3, 3, 3, 'Loyal', 'Promising'],
    [3, 2, 2, 'Promising', 'Need Attention'],
    [2, 2, 2, 'Need Attention', 'At Risk'],
  ] as const)('precedence: R%i F%i M%i is %s, not %s', (r, f, m, winner, loser) => {
    const candidates = SEGMENT_RULES.filter((rule) => [r, f, m].every((score, i) => {
      const [min, max] = [rule.r, rule.f, rule.m][i];
      return score >= min && score <= max;
    })).map((rule) => rule.segment);
    // Both rules claim the scores; only the order decides.
    expect(candidates).toEqual(expect.arrayContaining([winner, loser]));
    expect(assignSegment(r, f, m)).toBe(winner);
  });
});

describe('scoreDonor', () => {
  const asOf = new Date('2025-06-30T12:00:00Z');
  const daysAgo = (days: number, hours = 0) => new Date(asOf.getTime() - days * DAY - hours * 3_600_000);
  const gifts = (count: number, centsEach: number, lastDaysAgo: number) =>
    Array.from({ length: count }, (_, i) => ({ amountCents: centsEach, at: daysAgo(lastDaysAgo + i) }));

  it('has no score for a donor without gifts', () => {
    expect(scoreDonor([], asOf)).toBeNull();
  });

  it('ignores gifts after the as-of date, and so has no score when all are later', () => {
    const later = [{ amountCents: 500_000, at: new Date(asOf.getTime() + 1) }];
    expect(scoreDonor(later, asOf)).toBeNull();
    expect(scoreDonor([...later, { amountCents: 1_000, at: daysAgo(10) }], asOf)).toEqual({ r: 5, f: 1, m: 1, segment: 'New Donors' });
  });

  it('counts a gift made exactly at the as-of instant', () => {
    expect(scoreDonor([{ amountCents: 5_000, at: asOf }], asOf)).toEqual({ r: 5, f: 1, m: 2, segment: 'New Donors' });
  });

  it('measures recency from the latest gift in whole elapsed days, whatever the order of the list', () => {
    const history = [
      { amountCents: 1_000, at: daysAgo(400) },
      { amountCents: 1_000, at: daysAgo(30, 23) }, // 30 days and 23 hours: still 30 whole days
      { amountCents: 1_000, at: daysAgo(200) },
    ];
    expect(scoreDonor(history, asOf)?.r).toBe(5);
    expect(scoreDonor([{ amountCents: 1_000, at: daysAgo(31) }], asOf)?.r).toBe(4);
  });

  it('sums amounts in cents and counts gifts', () => {
    expect(scoreDonor(gifts(6, 8_334, 100), asOf)).toEqual({ r: 3, f: 4, m: 4, segment: 'Loyal' });
    expect(scoreDonor(gifts(6, 8_333, 100), asOf)).toEqual({ r: 3, f: 4, m: 3, segment: 'Loyal' });
  });

  it('scores a long history without exceeding the argument limit', () => {
    expect(scoreDonor(gifts(200_000, 1, 0), asOf)).toEqual({ r: 5, f: 5, m: 5, segment: 'Champions' });
  });

  it.each([
    ['Champions', gifts(10, 10_000, 5)],
    ['Loyal', gifts(3, 7_000, 120)],
    ['Potential Loyalists', gifts(2, 3_000, 60)],
    ['New Donors', gifts(1, 2_500, 3)],
    ['Promising', gifts(2, 4_000, 100)],
    ['Need Attention', gifts(4, 5_000, 200)],
    ['At Risk', gifts(1, 10_000, 500)],
  ] as const)('reaches %s from a gift history', (segment, history) => {
    expect(scoreDonor(history, asOf)?.segment).toBe(segment);
  });
});
