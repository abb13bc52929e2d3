import { type CurrencyCode, currencyExponent } from './money';

/**
 * The three suggested amounts of the give page (the "ask ladder" or ask string), in minor units.
 *
 * Rule, from direct-response fundraising practice: a previous donor's asks are anchored on their
 * highest previous contribution (HPC), the standard base of an ask string for a known donor, because the
 * best predictor of what someone will give is the most they have given. The ladder is HPC ×1 (renew
 * at the same level), ×1.5 and ×2 (the upgrade asks), each rounded to a friendly amount a person would
 * write on a cheque (e.g. $37 → $35, ×1.5 = $55.50 → $55, ×2 = $74 → $75). A donor who never gave sees
 * the default ladder, 25 / 50 / 100 major units of the client's currency. Pure (workflows may import it).
 *
 * Friendly amounts (major units): whole units below 10, multiples of 5 below 100, of 25 below 1,000, and
 * above that the amount's leading two digits (1,234 → 1,200). Each rung is at least one friendly step
 * and above the one before it, so a tiny or repeated HPC never shows the same amount twice.
 */
export const LADDER_MULTIPLIERS = [1, 1.5, 2] as const;
export const DEFAULT_LADDER_MAJOR = [25, 50, 100] as const;

/** The ladder in minor units of `currency`; `highestPreviousGift` in minor units of the same currency, or null. */
export function askLadder(highestPreviousGift: number | null, currency: CurrencyCode): [number, number, number] {
  const unit = 10 ** currencyExponent(currency);
  if (highestPreviousGift === null || highestPreviousGift <= 0) {
    return DEFAULT_LADDER_MAJOR.map((major) => major * unit) as [number, number, number];
  }
  const ladder: number[] = [];
  for (const multiplier of LADDER_MULTIPLIERS) {
    const target = highestPreviousGift * multiplier;
    const step = friendlyStep(target / unit) * unit;
    let rung = Math.max(step, Math.round(target / step) * step);
    const previous = ladder.at(-1);
    if (previous !== undefined && rung <= previous) rung = previous + friendlyStep(previous / unit) * unit;
    ladder.push(rung);
  }
  return ladder as [number, number, number];
}

/** The rounding step, in major units, of an amount of `major` units. */
export function friendlyStep(major: number): number {
  if (major < 10) return 1;
  if (major < 100) return 5;
  if (major < 1000) return 25;
  return 10 ** (Math.floor(Math.log10(major)) - 1);
}
