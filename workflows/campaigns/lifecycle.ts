/**
 * Client-side helpers for the campaign workflow (dittofeed style): what the API, the dev seed and the
 * tests call to activate, steer and inspect a campaign. Not part of the workflow bundle.
 */
import type { MikroORM } from '@mikro-orm/postgresql';
import { ActivityFailure, type Client, WorkflowUpdateFailedError } from '@temporalio/client';
import { prepareActivation } from '../../activities/campaigns/activation';
import { withClient } from '../../domain/db/tenancy';
import { campaignWorkflow } from './campaign';
import {
  type CampaignStatus, campaignWorkflowId, pauseUpdate, resumeUpdate, statusQuery, stopUpdate,
} from '../../domain/campaigns/workflow-contract';
import { CampaignIdKey, ClientIdKey, CurrentStepKey, SeasonKey, StageKey } from '../search-attributes';

export interface LifecycleDeps { orm: MikroORM; temporal: Client; taskQueue: string }

/** The workflow refused a command (its Update validator said why). */
export class CampaignCommandRefusedError extends Error {}

/**
 * How long a lifecycle command may wait for Temporal (the frontend, and the workflow's answer to an
 * Update). Past it the call fails with DEADLINE_EXCEEDED, which the API answers with 503 and
 * Retry-After, instead of holding the caller while the client keeps retrying an unreachable server.
 */
export const COMMAND_DEADLINE_MS = 10_000;

function withinDeadline<T>(temporal: Client, command: () => Promise<T>): Promise<T> {
  return temporal.connection.withDeadline(Date.now() + COMMAND_DEADLINE_MS, command);
}

export async function activateCampaign(deps: LifecycleDeps, clientId: string, campaignId: string) {
  const prepared = await withClient(deps.orm.em, clientId, (em) => prepareActivation(em, campaignId));
  const handle = await withinDeadline(deps.temporal, () => deps.temporal.workflow.start(campaignWorkflow, {
    workflowId: campaignWorkflowId(campaignId),
    taskQueue: deps.taskQueue,
    args: [{ campaignId, clientId }],
    // A second activation (or a retry after a crash between the two halves) joins the running arc.
    workflowIdConflictPolicy: 'USE_EXISTING',
    workflowIdReusePolicy: 'REJECT_DUPLICATE',
    typedSearchAttributes: [
      { key: CampaignIdKey, value: campaignId },
      { key: ClientIdKey, value: clientId },
      { key: StageKey, value: 'active' },
      { key: SeasonKey, value: prepared.season ?? 'none' },
      { key: CurrentStepKey, value: 0 },
    ],
    memo: { campaignName: prepared.name },
    staticSummary: `Track15 campaign: ${prepared.name}`,
  }));
  return { workflowId: handle.workflowId, runId: handle.firstExecutionRunId, alreadyActive: prepared.alreadyActive };
}

/**
 * Why the workflow refused: a validator's words, or, when the command's database write was refused
 * (the arc is then left as it was), what the activity said (activities/data-failures.ts names what the
 * database refused).
 */
function refusalReason(error: WorkflowUpdateFailedError): string {
  const { cause } = error;
  if (!(cause instanceof ActivityFailure)) return cause?.message ?? error.message;
  return `nothing was changed: ${cause.cause?.message ?? cause.message}`;
}

/** Runs an Update within the command deadline; the workflow's refusal becomes CampaignCommandRefusedError. */
async function refusalsAsErrors(temporal: Client, run: () => Promise<CampaignStatus>): Promise<CampaignStatus> {
  try {
    return await withinDeadline(temporal, run);
  } catch (error) {
    if (error instanceof WorkflowUpdateFailedError) throw new CampaignCommandRefusedError(refusalReason(error));
    throw error;
  }
}

export function pauseCampaign(deps: LifecycleDeps, campaignId: string, reason?: string): Promise<CampaignStatus> {
  const handle = deps.temporal.workflow.getHandle(campaignWorkflowId(campaignId));
  return refusalsAsErrors(deps.temporal, () => handle.executeUpdate(pauseUpdate, { args: [{ reason }] }));
}

export function resumeCampaign(deps: LifecycleDeps, campaignId: string): Promise<CampaignStatus> {
  const handle = deps.temporal.workflow.getHandle(campaignWorkflowId(campaignId));
  return refusalsAsErrors(deps.temporal, () => handle.executeUpdate(resumeUpdate));
}

export function stopCampaign(deps: LifecycleDeps, campaignId: string, reason: string): Promise<CampaignStatus> {
  const handle = deps.temporal.workflow.getHandle(campaignWorkflowId(campaignId));
  return refusalsAsErrors(deps.temporal, () => handle.executeUpdate(stopUpdate, { args: [{ reason }] }));
}

export function campaignStatus(deps: Pick<LifecycleDeps, 'temporal'>, campaignId: string): Promise<CampaignStatus> {
  return deps.temporal.workflow.getHandle(campaignWorkflowId(campaignId)).query(statusQuery);
}
