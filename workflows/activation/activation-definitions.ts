/**
 * The client activation workflow's public surface (issue 16 item 4), shared by workflow code and its
 * clients (the API, the Stripe event workflow, tests): its id, input, the status signal and query.
 */
import { defineQuery, defineSignal } from '@temporalio/workflow';

/** Seed 003's client statuses, and `expired`: the token expired unpaid (a payment after it still counts). */
export type ActivationStatus = 'pending' | 'active' | 'paid' | 'failed' | 'expired';

export interface ActivationWorkflowInput { clientId: string }

/** What the workflow is waiting for and what it has done (the `activationProgress` query). */
export interface ActivationProgress {
  status: ActivationStatus;
  /** Epoch milliseconds of the reminder and the expiry; null before the plan is loaded. */
  reminderAt: number | null;
  expiresAt: number | null;
  /** Whether the reminder email went out (false when it was not needed or the client has no address). */
  reminded: boolean;
}

export const activationWorkflowId = (clientId: string) => `client-activation-${clientId}`;

/** A client's status changed in the database (an acceptance, a payment, a failure): the workflow follows. */
export const activationStatusSignal = defineSignal<[{ status: Exclude<ActivationStatus, 'pending' | 'expired'> }]>('activationStatus');

/** The client's reminder or expiry setting changed: the workflow reads its plan again. */
export const activationPlanSignal = defineSignal('activationPlan');

export const activationProgressQuery = defineQuery<ActivationProgress>('activationProgress');

/** Paid is final; expired gives way only to paid (a late payment is honoured); the rest follow the latest news. */
export function nextActivationStatus(current: ActivationStatus, reported: ActivationStatus): ActivationStatus {
  if (current === 'paid') return 'paid';
  if (current === 'expired') return reported === 'paid' ? 'paid' : 'expired';
  return reported;
}
