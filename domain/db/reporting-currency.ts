import type { EntityManager } from '@mikro-orm/postgresql';

/**
 * The client's reporting currency (lowercase ISO 4217): every gift of the client is in it (a trigger on
 * donations enforces it), so revenue and RFM monetary scores add one currency. Run inside withClient.
 */
export async function reportingCurrency(em: EntityManager, clientId: string): Promise<string | undefined> {
  const [row] = await em.execute<{ reporting_currency: string }[]>('select reporting_currency from clients where id = ?', [clientId]);
  return row?.reporting_currency;
}
