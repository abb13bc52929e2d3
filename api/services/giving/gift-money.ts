import type { EntityManager } from '@mikro-orm/postgresql';
import { reportingCurrency } from '../../../domain/db/reporting-currency';
import { MoneyError, toDecimalString, toMinorUnits } from '../../../domain/money';
import { invalid, notFound } from '../../problem';

/** A gift's amount, checked against its currency and the client's reporting currency. */
export interface GiftMoney {
  currency: string;
  /** Integer minor units (Stripe's amount). */
  minor: number;
  /** Exact major units with the currency's decimals, for donations.amount (numeric). */
  decimal: string;
}

/**
 * Every gift a caller sends (offline gift, payment intent) passes here: the currency defaults to the
 * client's reporting currency and must equal it (400 naming `currency`: the product refuses rather than
 * converts, so RFM monetary scores and campaign revenue only ever add one currency); the amount may
 * have at most the currency's decimals (400 naming `amount`: ¥5000.5 does not exist).
 * `prefix` places the fields in the request (`body`).
 */
export async function giftMoney(em: EntityManager, clientId: string, gift: { amount: number; currency?: string }, prefix = 'body'): Promise<GiftMoney> {
  const reporting = await reportingCurrency(em, clientId);
  if (!reporting) throw notFound('client');
  const currency = gift.currency ?? reporting;
  if (currency !== reporting) {
    throw invalid([{
      field: `${prefix}.currency`,
      message: `this client reports in ${reporting.toUpperCase()}: a gift in ${currency.toUpperCase()} is refused (record it converted to ${reporting.toUpperCase()})`,
    }]);
  }
  try {
    const minor = toMinorUnits(gift.amount, currency);
    return { currency, minor, decimal: toDecimalString(minor, currency) };
  } catch (error) {
    if (error instanceof MoneyError) throw invalid([{ field: `${prefix}.amount`, message: error.message }]);
    throw error;
  }
}
