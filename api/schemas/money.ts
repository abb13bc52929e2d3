import { z } from 'zod';
import { isCurrencyCode } from '../../domain/money';

/**
 * A currency as callers write it (`usd`, `JPY`): an ISO 4217 code in any case, answered in lowercase
 * as Stripe writes it. Metals, fund and testing codes (XAU, XTS…) are refused.
 */
export const currencyCode = z.string()
  .regex(/^[A-Za-z]{3}$/, { message: 'must be a three-letter ISO 4217 currency code such as usd, eur or jpy', abort: true })
  .refine(isCurrencyCode, 'must be an ISO 4217 currency code such as usd, eur or jpy')
  .transform((code) => code.toLowerCase())
  .meta({ example: 'usd' });

/**
 * An amount in major units (50.25 USD, 5000 JPY, 1.234 KWD). How many decimals it may have depends
 * on its currency (domain/money.ts, Stripe's list); the service checks that once the currency is known.
 */
export const majorAmount = z.number().positive().max(9_999_999_999.999)
  .describe('In major units of `currency` (50.25 USD, 5000 JPY, 1.234 KWD), with at most the currency\'s decimals');

/** The currency of a gift: the client's reporting currency when omitted; any other is refused. */
export const giftCurrency = currencyCode.optional()
  .describe('ISO 4217 code; defaults to the client\'s reporting_currency, and a gift in any other currency is refused with 400 (convert it first), so revenue and RFM never add currencies');
