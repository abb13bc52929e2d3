/**
 * Budget maths in integer cents. The database keeps amount_remaining and percentage_spent with a trigger;
 * these functions are the same rules for code that reasons about a budget.
 */
export interface BudgetStatus { remainingCents: number; overspentCents: number; percentageSpent: number }

/** The trigger's numeric(5,2) column tops out here; an overspent budget reports at most this. */
export const MAX_PERCENTAGE_SPENT = 999.99;

export function budgetStatus(amountCents: number, spentCents: number): BudgetStatus {
  requireCents('amountCents', amountCents);
  requireCents('spentCents', spentCents);
  const remaining = amountCents - spentCents;
  return { remainingCents: Math.max(remaining, 0), overspentCents: Math.max(-remaining, 0), percentageSpent: percentageSpent(amountCents, spentCents) };
}

function percentageSpent(amountCents: number, spentCents: number): number {
  if (amountCents === 0) return spentCents > 0 ? 100 : 0;
  // Whole hundredths of a percent, half up. Integer cents keep the quotient exact at the halves, so
  // Math.round rounds them the way PostgreSQL's round(…, 2) does.
  return Math.min(Math.round((spentCents * 10_000) / amountCents) / 100, MAX_PERCENTAGE_SPENT);
}

/** The thresholds (in percent) the spend has reached and that have not fired yet, lowest first: each fires once. */
export function alertsToFire(thresholdsPercent: number[], alreadyFired: number[], percentageSpent: number): number[] {
  const fired = new Set(alreadyFired);
  return [...new Set(thresholdsPercent)].filter((threshold) => percentageSpent >= threshold && !fired.has(threshold)).sort((a, b) => a - b);
}

/** What a batch costs in whole cents, half up; a message may cost a fraction of a cent (email does). */
export function costOfBatch(messages: number, costPerMessageCents: number): number {
  if (!Number.isInteger(messages) || messages < 0) throw new RangeError(`messages must be a whole number, 0 or more, got ${messages}`);
  requireCost(costPerMessageCents);
  return Math.round(snap(messages * costPerMessageCents));
}

/** How many messages the remaining budget pays for in full; Infinity when messages are free. */
export function affordableMessages(remainingCents: number, costPerMessageCents: number): number {
  requireCost(costPerMessageCents);
  if (costPerMessageCents === 0) return Infinity;
  return Math.max(0, Math.floor(snap(remainingCents / costPerMessageCents)));
}

/**
 * Fractional costs meet binary floating point: 50 × 1.15 is 57.4999…, 33 / 1.1 is 29.9999…. Snapping to a
 * millionth first gives the decimal answer before rounding or flooring.
 */
function snap(value: number): number {
  return Math.round(value * 1e6) / 1e6;
}

function requireCents(name: string, cents: number): void {
  if (!Number.isInteger(cents) || cents < 0) throw new RangeError(`${name} must be whole cents, 0 or more, got ${cents}`);
}

function requireCost(costPerMessageCents: number): void {
  if (!Number.isFinite(costPerMessageCents) || costPerMessageCents < 0) throw new RangeError(`costPerMessageCents must be 0 or more, got ${costPerMessageCents}`);
}
