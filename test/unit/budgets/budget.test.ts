import { MAX_PERCENTAGE_SPENT, affordableMessages, alertsToFire, budgetStatus, costOfBatch } from '../../../domain/budgets/budget';

describe('budgetStatus', () => {
  it.each([
    // amount, spent, remaining, overspent, percentage
    [100_000, 0, 100_000, 0, 0],
    [100_000, 25_000, 75_000, 0, 25],
    [100_000, 100_000, 0, 0, 100],
    [100_000, 150_000, 0, 50_000, 150],
    [0, 0, 0, 0, 0],
    [0, 1, 0, 1, 100],
  ])('amount %i, spent %i: %i remaining, %i overspent, %d%%', (amount, spent, remainingCents, overspentCents, percentageSpent) => {
    expect(budgetStatus(amount, spent)).toEqual({ remainingCents, overspentCents, percentageSpent });
  });

  it.each([
    [3, 1, 33.33], // 33.333…
    [3, 2, 66.67], // 66.666…
    [8, 1, 12.5],
    [20_000, 1, 0.01], // 0.005 exactly: half rounds up
    [40_000, 1, 0], // 0.0025: below the half
    [80_000, 1, 0], // 0.00125
    [1_600, 1, 0.06], // 0.0625
    [1_600, 3, 0.19], // 0.1875
    [7, 6, 85.71], // 85.714…
  ])('rounds %i spent of %i… to two decimals, half up', (amount, spent, percentage) => {
    expect(budgetStatus(amount, spent).percentageSpent).toBe(percentage);
  });

  it('keeps remaining and percentage in step with amount and spent', () => {
    for (let spent = 0; spent <= 1_000; spent += 7) {
      const status = budgetStatus(700, spent);
      expect(status.remainingCents - status.overspentCents).toBe(700 - spent);
      expect(Math.min(status.remainingCents, status.overspentCents)).toBe(0);
      expect(Math.abs(status.percentageSpent - (spent / 700) * 100)).toBeLessThanOrEqual(0.005 + 1e-9);
    }
  });

  it('caps the percentage of a wildly overspent budget where the database column does', () => {
    expect(budgetStatus(100, 1_000_000).percentageSpent).toBe(MAX_PERCENTAGE_SPENT);
    expect(budgetStatus(100, 999).percentageSpent).toBe(999);
  });

  it.each([[-1, 0], [0, -1], [10.5, 0], [10, 0.5], [Number.NaN, 0]])('rejects amount %p and spent %p', (amount, spent) => {
    expect(() => budgetStatus(amount, spent)).toThrow(RangeError);
  });
});

describe('alertsToFire', () => {
  it('fires a threshold when the spend reaches it exactly', () => {
    expect(alertsToFire([50, 80], [], 49.99)).toEqual([]);
    expect(alertsToFire([50, 80], [], 50)).toEqual([50]);
  });

  it('fires every threshold crossed at once, lowest first, whatever order they are configured in', () => {
    expect(alertsToFire([100, 50, 80, 90], [], 95)).toEqual([50, 80, 90]);
  });

  it('fires each threshold once', () => {
    expect(alertsToFire([50, 80, 100], [50], 85)).toEqual([80]);
    expect(alertsToFire([50, 80, 100], [50, 80], 85)).toEqual([]);
    expect(alertsToFire([50, 50, 80], [], 85)).toEqual([50, 80]);
  });

  it('fires nothing without thresholds or before any spend', () => {
    expect(alertsToFire([], [], 100)).toEqual([]);
    expect(alertsToFire([50], [], 0)).toEqual([]);
  });

  it('fires fractional thresholds and overspend thresholds', () => {
    expect(alertsToFire([12.5, 100, 120], [], 120)).toEqual([12.5, 100, 120]);
  });

  it('does not mutate its inputs', () => {
    const thresholds = [90, 50];
    alertsToFire(thresholds, [], 100);
    expect(thresholds).toEqual([90, 50]);
  });
});

describe('costOfBatch', () => {
  it.each([
    [0, 5, 0],
    [1_000, 0, 0],
    [1_000, 2, 2_000],
    [3, 0.5, 2], // 1.5 rounds up
    [3, 0.1, 0], // 0.3
    [50, 1.15, 58], // 57.5, computed as 57.4999… in floating point
    [90, 0.35, 32], // 31.5, computed as 31.4999…
    [1_000, 0.08, 80],
  ])('%i messages at %d cents cost %i cents', (messages, cost, cents) => {
    expect(costOfBatch(messages, cost)).toBe(cents);
  });

  it.each([[-1, 1], [1.5, 1], [1, -0.01], [1, Number.NaN], [1, Infinity]])('rejects %p messages at %p cents', (messages, cost) => {
    expect(() => costOfBatch(messages, cost)).toThrow(RangeError);
  });
});

describe('affordableMessages', () => {
  it.each([
    [1_000, 10, 100],
    [1_005, 10, 100],
    [9, 10, 0],
    [0, 10, 0],
    [-50, 10, 0],
    [33, 1.1, 30], // 33 / 1.1 is 29.9999… in floating point
    [7, 0.07, 100],
    [100, 0.3, 333],
  ])('%i cents at %d cents a message buys %i messages', (remaining, cost, messages) => {
    expect(affordableMessages(remaining, cost)).toBe(messages);
  });

  it('is unlimited when messages are free', () => {
    expect(affordableMessages(0, 0)).toBe(Infinity);
  });

  it('never buys a batch that costs more than what remains, and could not buy one more', () => {
    for (const cost of [0.07, 0.35, 1.1, 1.15, 3, 7]) {
      for (let remaining = 0; remaining <= 500; remaining += 13) {
        const messages = affordableMessages(remaining, cost);
        expect(costOfBatch(messages, cost)).toBeLessThanOrEqual(remaining);
        expect((messages + 1) * cost).toBeGreaterThan(remaining - 1e-9);
      }
    }
  });

  it.each([-1, Number.NaN])('rejects a cost of %p', (cost) => {
    expect(() => affordableMessages(100, cost)).toThrow(RangeError);
  });
});
