/**
 * Client-side helpers of the client activation workflow (issue 16 item 4): what the API calls when a
 * token is issued and when a page changes a client's status. Not part of the workflow bundle.
 */
import type { Client } from '@temporalio/client';
import { clientActivationWorkflow } from './activation';
import { type ActivationStatus, activationPlanSignal, activationStatusSignal, activationWorkflowId } from './activation-definitions';
import { COMMAND_DEADLINE_MS } from '../campaigns/lifecycle';
import { ActivationStatusKey, ClientIdKey } from '../search-attributes';

export interface ActivationDeps { temporal: Client; taskQueue: string }

/**
 * Starts `client-activation-<clientId>` (a second call joins the running one), tagged ClientId and
 * ActivationStatus=pending. Fails (DEADLINE_EXCEEDED, UNAVAILABLE: the API answers 503) when Temporal
 * does not answer within COMMAND_DEADLINE_MS.
 */
export async function startClientActivation(deps: ActivationDeps, clientId: string, clientName: string): Promise<string> {
  const handle = await deps.temporal.connection.withDeadline(Date.now() + COMMAND_DEADLINE_MS, () => deps.temporal.workflow.start(clientActivationWorkflow, {
    workflowId: activationWorkflowId(clientId),
    taskQueue: deps.taskQueue,
    args: [{ clientId }],
    workflowIdConflictPolicy: 'USE_EXISTING',
    typedSearchAttributes: [{ key: ClientIdKey, value: clientId }, { key: ActivationStatusKey, value: 'pending' }],
    staticSummary: `Client activation: ${clientName}`,
  }));
  return handle.workflowId;
}

/** How long a page waits to tell the workflow; the database already holds the status, so a miss is only logged. */
const SIGNAL_DEADLINE_MS = 2_000;

/**
 * Tells the client's activation workflow its new status. Best effort: answers false (and the caller logs)
 * when the workflow is not running or Temporal does not answer in time; the workflow reads the database
 * before each of its steps anyway.
 */
export function reportActivationStatus(temporal: Client, clientId: string, status: Exclude<ActivationStatus, 'pending' | 'expired'>): Promise<boolean> {
  return bestEffort(temporal, () => temporal.workflow.getHandle(activationWorkflowId(clientId)).signal(activationStatusSignal, { status }));
}

/** Tells the workflow to read the client's reminder and expiry settings again (after a PATCH); best effort, as above. */
export function reportActivationPlan(temporal: Client, clientId: string): Promise<boolean> {
  return bestEffort(temporal, () => temporal.workflow.getHandle(activationWorkflowId(clientId)).signal(activationPlanSignal));
}

async function bestEffort(temporal: Client, signal: () => Promise<void>): Promise<boolean> {
  try {
    await temporal.connection.withDeadline(Date.now() + SIGNAL_DEADLINE_MS, signal);
    return true;
  } catch {
    return false;
  }
}
