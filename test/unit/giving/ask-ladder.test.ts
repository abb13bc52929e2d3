import { askLadder, friendlyStep } from '../../../domain/giving/ask-ladder';
import { chargeIncrement, toMinorUnits } from '../../../domain/money';

describe('ask ladder (HPC ×1, ×1.5, ×2, friendly amounts)', () => {
  it('offers a donor who never gave $25 / $50 / $100 in the client\'s currency (its units per dollar), rounded to round numbers', () => {
    expect(askLadder(null, 'usd')).toEqual([2500, 5000, 10000]);
    expect(askLadder(0, 'eur', 0.92)).toEqual([2500, 5000, 10000]);     // €23, €46, €92 → 25, 50, 100
    expect(askLadder(null, 'gbp', 0.79)).toEqual([2000, 4000, 7500]);   // £19.75, £39.50, £79 → 20, 40, 75
    expect(askLadder(null, 'jpy', 150)).toEqual([4000, 7500, 15000]);   // ¥3,750, ¥7,500, ¥15,000 → 4,000, 7,500, 15,000 (no decimals)
    expect(askLadder(null, 'krw', 1350)).toEqual([30000, 75000, 150000]);
    expect(askLadder(null, 'inr', 83)).toEqual([200000, 400000, 750000]); // ₹2,000, ₹4,000, ₹7,500
    expect(askLadder(null, 'kwd', 0.31)).toEqual([7500, 15000, 30000]);   // 7.500, 15.000, 30.000 KWD (three decimals)
    expect(askLadder(null, 'isk', 138)).toEqual([300000, 750000, 1500000]); // whole krónur
    expect(askLadder(null, 'jpy')).toEqual([25, 50, 100]); // no rate: 25 / 50 / 100 units
  });

  it('keeps the fixed ladder rising, chargeable and at least one unit for any rate', () => {
    for (const currency of ['usd', 'jpy', 'kwd', 'isk', 'krw']) {
      for (let rate = 0.001; rate < 100_000; rate *= 3.7) {
        const ladder = askLadder(null, currency, rate);
        expect(ladder[0] < ladder[1] && ladder[1] < ladder[2]).toBe(true);
        expect(ladder.every((amount) => amount % chargeIncrement(currency) === 0 && amount >= toMinorUnits(1, currency))).toBe(true);
      }
    }
  });

  it.each([
    [3700, [3500, 5500, 7500]],       // $37 → 35, 55.50 → 55, 74 → 75
    [5000, [5000, 7500, 10000]],      // $50 → 50, 75, 100
    [12000, [12500, 17500, 25000]],   // $120 → 125, 180 → 175, 240 → 250
    [123400, [120000, 190000, 250000]], // $1,234 → 1,200, 1,851 → 1,900, 2,468 → 2,500
    [25, [100, 200, 300]],            // $0.25: one whole unit at least, then a step up each rung
    [999, [1000, 1500, 2000]],        // $9.99 → 10, 14.99 → 15, 19.98 → 20
  ])('HPC %i cents → %j', (hpc, ladder) => {
    expect(askLadder(hpc, 'usd')).toEqual(ladder);
  });

  it('rounds in the currency\'s own units: zero-decimal JPY, three-decimal KWD, whole-krona ISK', () => {
    expect(askLadder(3700, 'jpy')).toEqual([3700, 5600, 7400]); // ¥5,550 → 5,600 (two leading digits)
    expect(askLadder(37_000, 'kwd')).toEqual([35_000, 55_000, 75_000]);
    for (const currency of ['isk', 'kwd', 'bhd', 'jpy', 'usd']) {
      for (const hpc of [1, 99, 1234, 98_765, 5_000_000]) {
        const ladder = askLadder(hpc, currency);
        expect(ladder.every((amount) => amount % chargeIncrement(currency) === 0)).toBe(true);
        expect(ladder[0] < ladder[1] && ladder[1] < ladder[2]).toBe(true);
      }
    }
  });

  it('keeps each rung within one friendly step of its multiple of the HPC', () => {
    for (let hpc = 100; hpc < 2_000_000; hpc = Math.ceil(hpc * 1.37)) {
      askLadder(hpc, 'usd').forEach((rung, i) => {
        const target = hpc * [1, 1.5, 2][i];
        expect(Math.abs(rung - target)).toBeLessThanOrEqual(friendlyStep(target / 100) * 100);
      });
    }
  });
});
