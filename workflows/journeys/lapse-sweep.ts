import { sweepClients } from '../client-sweep';

/**
 * Every client's donors who went the client's `lapse_after_days` without a gift become lapsed, as of the
 * moment the run started (the Schedule `journey-lapse-daily`; domain/journeys.ts has the rules). A run
 * repeated or retried lapses nobody twice.
 */
export async function journeyLapseWorkflow(): Promise<{ clients: number; donorsLapsed: number }> {
  const { clients, donors } = await sweepClients('lapseClientDonors');
  return { clients, donorsLapsed: donors };
}
