import { defineQuery, proxyActivities, setHandler, sleep, workflowInfo } from '@temporalio/workflow';
import type { CampaignActivities } from '../../activities';
import type { ReaderChoice } from '../../activities/previews/reader';
import type { TestSendRequest, TestSendResult } from '../../activities/previews/test-send';

/**
 * Test messages of a campaign: one step to test addresses (a test send), or the whole arc to them at a
 * rehearsal's pace (a rehearsal). Neither touches the campaign's audience, ledger or stats
 * (activities/previews/test-send.ts); a rehearsal runs beside the campaign, never as it.
 */
const { sendTestMessage, planRehearsal } = proxyActivities<CampaignActivities>({
  startToCloseTimeout: '1 minute',
  // 429/5xx retry with backoff (Retry-After overrides the next delay); a test nobody waits for days on gives up.
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 20 },
});

export function testSendWorkflowId(campaignId: string, stepNumber: number, requestId: string): string {
  return `campaign-test-send-${campaignId}-step-${stepNumber}-${requestId}`;
}

/** The n-th rehearsal of a campaign (n counts from 1, per campaign). */
export function rehearsalWorkflowId(campaignId: string, number: number): string {
  return `campaign-rehearsal-${campaignId}-${number}`;
}

/** One step to the test addresses; the result says what was sent to whom. */
export async function testSendWorkflow(input: TestSendRequest): Promise<TestSendResult> {
  return sendTestMessage({ ...input, testRun: workflowInfo().workflowId });
}

export interface RehearsalInput {
  clientId: string;
  campaignId: string;
  addresses: string[];
  /** The length of one arc day in this rehearsal (seconds). */
  dayLengthSeconds: number;
  reader: ReaderChoice;
}

export interface RehearsalStatus {
  /** Each step sent so far, in order. */
  sent: TestSendResult[];
  nextStep: number | null;
  /** ISO time the next step is due; null when done. */
  nextDueAt: string | null;
}

export const rehearsalStatusQuery = defineQuery<RehearsalStatus>('rehearsalStatus');

/**
 * The whole arc to test addresses only, each email step at its day and send hour with the rehearsal's
 * day length, counted from the rehearsal's start. Cancelling the workflow ends it.
 */
export async function rehearsalWorkflow(input: RehearsalInput): Promise<RehearsalStatus> {
  const status: RehearsalStatus = { sent: [], nextStep: null, nextDueAt: null };
  setHandler(rehearsalStatusQuery, () => status);
  const plan = await planRehearsal({ clientId: input.clientId, campaignId: input.campaignId, dayLengthSeconds: input.dayLengthSeconds, startedAt: Date.now() });
  for (const step of plan.steps) {
    status.nextStep = step.stepNumber;
    status.nextDueAt = new Date(step.dueAt).toISOString();
    const wait = step.dueAt - Date.now();
    if (wait > 0) await sleep(wait);
    status.sent.push(await sendTestMessage({
      clientId: input.clientId, campaignId: input.campaignId, stepNumber: step.stepNumber,
      addresses: input.addresses, reader: input.reader, testRun: workflowInfo().workflowId,
    }));
  }
  status.nextStep = null;
  status.nextDueAt = null;
  return status;
}
