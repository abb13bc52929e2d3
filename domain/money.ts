/**
 * Money: integer minor units plus an ISO 4217 currency inside the product; major units only at the
 * edges (API input and output, CSV files). Pure, so workflows may import it.
 *
 * A currency's exponent (digits after the decimal point) follows Stripe's published list
 * (https://docs.stripe.com/currencies): Stripe reads every API amount in the currency's smallest
 * unit, and its list differs from ISO 4217 in a few places, so the product's minor unit is Stripe's:
 * - zero-decimal currencies (amount 500 = ¥500): BIF CLP DJF GNF JPY KMF KRW MGA PYG RWF UGX VND VUV
 *   XAF XOF XPF. MGA is two-decimal in ISO 4217 and zero-decimal at Stripe.
 * - three-decimal currencies (amount 5124 = 5.124 KWD): BHD JOD KWD OMR TND. Stripe's payment
 *   partners need the last digit to be 0, so a charge is a multiple of 10 minor units.
 * - ISK is zero-decimal in ISO 4217 but stays two-decimal in Stripe's API, where a charge must be a
 *   whole króna (a multiple of 100 minor units; Stripe support, "Deprecation of fractional ISK charges").
 * - HUF and TWD are two-decimal for charges (Stripe pays them out in whole units only, which the
 *   product never does), so they need no exception here.
 * Every other currency takes its ISO 4217 exponent from the `currency-codes` package (two for most).
 */
import { code as isoCurrency } from 'currency-codes';

/** Lowercase ISO 4217 code, as Stripe writes currencies (`usd`, `jpy`). */
export type CurrencyCode = string;

/** A bad amount or currency; the message says what is wrong, the caller names the field. */
export class MoneyError extends Error {
  override readonly name = 'MoneyError';
}

const STRIPE_ZERO_DECIMAL = new Set(['bif', 'clp', 'djf', 'gnf', 'jpy', 'kmf', 'krw', 'mga', 'pyg', 'rwf', 'ugx', 'vnd', 'vuv', 'xaf', 'xof', 'xpf']);
const STRIPE_THREE_DECIMAL = new Set(['bhd', 'jod', 'kwd', 'omr', 'tnd']);
/** Stripe's API keeps two decimals for ISK (see above). */
const STRIPE_TWO_DECIMAL = new Set(['isk']);
/** ISO 4217 codes that are not money a donor can give: precious metals, bond units, SDR, testing, "no currency". */
const NOT_MONEY = new Set(['xag', 'xau', 'xba', 'xbb', 'xbc', 'xbd', 'xdr', 'xpd', 'xpt', 'xsu', 'xts', 'xua', 'xxx']);

/** True for an active ISO 4217 code of a currency (any case); false for metals, fund codes and unknown codes. */
export function isCurrencyCode(code: string): boolean {
  const lower = code.toLowerCase();
  return /^[a-z]{3}$/.test(lower) && !NOT_MONEY.has(lower) && isoCurrency(lower.toUpperCase()) !== undefined;
}

/** The lowercase code of a currency given in any case; throws MoneyError for anything else. */
export function currencyCode(code: string): CurrencyCode {
  if (!isCurrencyCode(code)) throw new MoneyError(`${JSON.stringify(code)} is not an ISO 4217 currency code`);
  return code.toLowerCase();
}

/** Digits after the decimal point of the currency's minor unit, as Stripe counts them (0, 2 or 3). */
export function currencyExponent(currency: CurrencyCode): number {
  const code = currencyCode(currency);
  if (STRIPE_ZERO_DECIMAL.has(code)) return 0;
  if (STRIPE_THREE_DECIMAL.has(code)) return 3;
  if (STRIPE_TWO_DECIMAL.has(code)) return 2;
  return isoCurrency(code.toUpperCase())!.digits;
}

/**
 * The step, in minor units, that a Stripe charge in this currency must be a multiple of:
 * 100 for ISK (whole krónur), 10 for the three-decimal currencies, else 1.
 */
export function chargeIncrement(currency: CurrencyCode): number {
  const code = currencyCode(currency);
  if (code === 'isk') return 100;
  return STRIPE_THREE_DECIMAL.has(code) ? 10 : 1;
}

const PLAIN_DECIMAL = /^(\d+)(?:\.(\d+))?$/;

/**
 * Major units (50.25 USD, 5000 JPY, 1.234 KWD; a number or a decimal string such as PostgreSQL's
 * numeric) to integer minor units (5025, 5000, 1234). Exact: works on the decimal digits, never
 * multiplies floats. Throws MoneyError for a negative or non-finite amount, for more decimals than
 * the currency has (¥5000.5) and for a result beyond Number.MAX_SAFE_INTEGER.
 */
export function toMinorUnits(major: number | string, currency: CurrencyCode): number {
  const exponent = currencyExponent(currency);
  // String(number) is the shortest text that reads back as the same double: 50.1 → "50.1".
  const text = typeof major === 'number' ? String(major) : major.trim();
  const match = PLAIN_DECIMAL.exec(text);
  if (!match) throw new MoneyError(`${JSON.stringify(text)} is not a non-negative decimal amount`);
  const fraction = (match[2] ?? '').replace(/0+$/, '');
  if (fraction.length > exponent) {
    throw new MoneyError(`${currency.toUpperCase()} amounts have ${exponent === 0 ? 'no decimals' : `at most ${exponent} decimals`}: ${text}`);
  }
  const minor = Number(match[1] + fraction.padEnd(exponent, '0'));
  if (!Number.isSafeInteger(minor)) throw new MoneyError(`${text} is too large`);
  return minor;
}

/** Integer minor units to major units as a number (5025 USD → 50.25, 5000 JPY → 5000, 1234 KWD → 1.234). */
export function toMajorUnits(minor: number, currency: CurrencyCode): number {
  return Number(toDecimalString(minor, currency));
}

/**
 * Integer minor units to an exact decimal string in major units with the currency's digits
 * (5025 USD → "50.25", 5000 JPY → "5000", 5 KWD → "0.005"): for SQL numeric and CSV output.
 */
export function toDecimalString(minor: number, currency: CurrencyCode): string {
  if (!Number.isSafeInteger(minor)) throw new MoneyError(`${minor} is not an integer amount of minor units`);
  const exponent = currencyExponent(currency);
  const digits = String(Math.abs(minor)).padStart(exponent + 1, '0');
  const sign = minor < 0 ? '-' : '';
  if (exponent === 0) return sign + digits;
  return `${sign}${digits.slice(0, -exponent)}.${digits.slice(-exponent)}`;
}

/** An amount as a donor reads it: $35, $42.50, ¥5,000, 1.250 KWD. */
export function formatMoney(minor: number, currency: string): string {
  const major = toMajorUnits(minor, currency);
  const whole = Number.isInteger(major);
  try {
    return new Intl.NumberFormat('en', { style: 'currency', currency: currency.toUpperCase(), ...(whole ? { minimumFractionDigits: 0, maximumFractionDigits: 0 } : {}) }).format(major);
  } catch {
    return `${major} ${currency.toUpperCase()}`;
  }
}
