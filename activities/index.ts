import type { MikroORM } from '@mikro-orm/postgresql';
import { withClient } from '../domain/db/tenancy';
import type { CampaignStage, CampaignWorkflowInput } from '../workflows/definitions';
import { loadCampaignPlan, recordCampaignStage } from './campaign-plan';
import { completeCampaign } from './campaign-completion';
import { createDeliverBatch } from './deliver-batch';
import type { SendGrid } from './sendgrid';

export interface ActivityDeps {
  orm: MikroORM;
  sendgrid: SendGrid;
  from: string;
  publicBaseUrl: string;
  unsubscribeSecret: string;
  /** Recipients per delivery batch (≤ 1,000); smaller in tests to exercise paging. */
  batchSize?: number;
}

/** The activities the campaign workflows call, bound to their dependencies (samples-typescript style). */
export function createActivities(deps: ActivityDeps) {
  const inClient = <T>(clientId: string, work: Parameters<typeof withClient<T>>[2]) => withClient(deps.orm.em, clientId, work);
  return {
    loadCampaignPlan: (input: CampaignWorkflowInput) => inClient(input.clientId, (em) => loadCampaignPlan(em, input)),
    recordCampaignStage: (input: CampaignWorkflowInput & { stage: Exclude<CampaignStage, 'completed'>; reason?: string }) =>
      inClient(input.clientId, (em) => recordCampaignStage(em, input)),
    completeCampaign: async (input: CampaignWorkflowInput & { stopReason: string | null }) => {
      await inClient(input.clientId, (em) => completeCampaign(em, input));
    },
    deliverBatch: createDeliverBatch(deps),
  };
}

export type CampaignActivities = ReturnType<typeof createActivities>;
