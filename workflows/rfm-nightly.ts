import { sweepClients } from './client-sweep';

/** Every client's RFM scores as of the moment the run started (the Schedule's nightly action). */
export async function rfmNightlyWorkflow(): Promise<{ clients: number; donorsChanged: number }> {
  const { clients, donors } = await sweepClients('recalculateClientRfm');
  return { clients, donorsChanged: donors };
}
