import { chargeIncrement, currencyExponent } from '../money';

/**
 * The three suggested amounts of the give page (the "ask ladder", ask string or gift array), in minor units.
 *
 * Rule, from direct-response fundraising practice. Practitioners distinguish a variable ask string, for
 * a donor with a giving history, from a fixed one, for a donor without (N. Ellinger, "Ask strings",
 * directtodonor.com; "The Science of Ask Strings"); the field experiment of Desmet & Feinberg, "Ask and
 * ye shall receive: the effect of the appeals scale on consumers' donation behavior", Journal of
 * Economic Psychology 24 (2003) 349-376, shows gifts follow the amounts offered relative to the donor's
 * previous gift.
 * - A previous donor's asks are anchored on their highest previous contribution (HPC), the usual base of
 *   a variable ask string: HPC ×1 (renew at the same level), ×1.5 and ×2 (the upgrade asks), each
 *   rounded to a friendly amount a person would write on a cheque (e.g. $37 → $35, ×1.5 = $55.50 → $55,
 *   ×2 = $74 → $75).
 * - A donor who never gave sees the fixed ladder, $25 / $50 / $100, converted into the client's
 *   currency with its `rfm_tier_rate` (units of the currency per US dollar, the rate its RFM tiers
 *   already use) and rounded to a round number of that currency: 1, 1.5, 2, 2.5, 3, 4, 5 or 7.5 times a
 *   power of ten (¥150/$ gives ¥4,000 / ¥7,500 / ¥15,000; £0.79/$ gives £20 / £40 / £75). Without a
 *   rate (US-dollar clients) it is 25 / 50 / 100 units.
 * Pure (workflows may import it).
 *
 * Friendly amounts of the HPC ladder (major units): whole units below 10, multiples of 5 below 100, of
 * 25 below 1,000, and above that the amount's leading two digits (1,234 → 1,200). Each rung is at least
 * one friendly step and above the one before it, so a tiny or repeated HPC never shows the same amount twice.
 */
export const LADDER_MULTIPLIERS = [1, 1.5, 2] as const;
/** The fixed ladder, in US dollars. */
export const DEFAULT_LADDER_USD = [25, 50, 100] as const;
/** The round numbers of the fixed ladder, per power of ten. */
const ROUND_NUMBERS = [1, 1.5, 2, 2.5, 3, 4, 5, 7.5, 10] as const;

/**
 * The ladder in minor units of `currency`. `highestPreviousGift`: minor units of the same currency, or
 * null for a donor who never gave; `unitsPerDollar`: the client's rfm_tier_rate (1 when it has none).
 */
export function askLadder(highestPreviousGift: number | null, currency: string, unitsPerDollar = 1): [number, number, number] {
  const unit = 10 ** currencyExponent(currency);
  if (highestPreviousGift === null || highestPreviousGift <= 0) return defaultLadder(currency, unitsPerDollar);
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

/** The fixed ladder in minor units of `currency`: each dollar rung converted, then the nearest round number, rising. */
function defaultLadder(currency: string, unitsPerDollar: number): [number, number, number] {
  const unit = 10 ** currencyExponent(currency);
  const increment = chargeIncrement(currency); // a rung Stripe can charge (whole krónur, 10 fils of KWD)
  const ladder: number[] = [];
  for (const dollars of DEFAULT_LADDER_USD) {
    let rung = Math.max(unit, Math.round((roundNumber(dollars * unitsPerDollar) * unit) / increment) * increment);
    const previous = ladder.at(-1);
    if (previous !== undefined && rung <= previous) rung = previous + increment;
    ladder.push(rung);
  }
  return ladder as [number, number, number];
}

/** The ROUND_NUMBERS value times a power of ten nearest to `major` (on a log scale). */
function roundNumber(major: number): number {
  const power = 10 ** Math.floor(Math.log10(major));
  let best: number = power;
  for (const candidate of ROUND_NUMBERS.map((n) => n * power)) {
    if (Math.abs(Math.log(candidate / major)) < Math.abs(Math.log(best / major))) best = candidate;
  }
  return best;
}

/** The rounding step, in major units, of an amount of `major` units. */
export function friendlyStep(major: number): number {
  if (major < 10) return 1;
  if (major < 100) return 5;
  if (major < 1000) return 25;
  return 10 ** (Math.floor(Math.log10(major)) - 1);
}
