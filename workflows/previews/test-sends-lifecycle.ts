/**
 * Client-side helpers for test sends and rehearsals (workflows/previews/test-sends.ts): what the API calls to start
 * them. Not part of the workflow bundle.
 */
import type { TestSendRequest, TestSendResult } from '../../activities/previews/test-send';
import { COMMAND_DEADLINE_MS, type LifecycleDeps } from '../campaigns/lifecycle';
import { type RehearsalInput, rehearsalWorkflow, rehearsalWorkflowId, testSendWorkflow, testSendWorkflowId } from './test-sends';

/** How long the API waits for a test send to be accepted by SendGrid before answering that it is still sending. */
export const TEST_SEND_WAIT_MS = 10_000;

type Deps = Pick<LifecycleDeps, 'temporal' | 'taskQueue'>;

/**
 * Starts a test send and waits up to TEST_SEND_WAIT_MS for its result (null past that: the workflow keeps
 * retrying and its result is in Temporal under `workflowId`). Each request is its own workflow: sending
 * the same test again is a new test.
 */
export async function sendTest(deps: Deps, input: TestSendRequest, requestId: string): Promise<{ workflowId: string; result: TestSendResult | null }> {
  const workflowId = testSendWorkflowId(input.campaignId, input.stepNumber, requestId);
  const handle = await deps.temporal.connection.withDeadline(Date.now() + COMMAND_DEADLINE_MS, () => deps.temporal.workflow.start(testSendWorkflow, {
    workflowId, taskQueue: deps.taskQueue, args: [input],
    staticSummary: `Test send of step ${input.stepNumber} to ${input.addresses.length} test address(es)`,
  }));
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<null>((resolve) => { timer = setTimeout(() => resolve(null), TEST_SEND_WAIT_MS); });
  try {
    return { workflowId, result: await Promise.race([handle.result(), late]) };
  } finally {
    clearTimeout(timer);
  }
}

/** Starts the campaign's `number`-th rehearsal; the number is the API's to hand out (campaigns.track15_rehearsals). */
export async function startRehearsal(deps: Deps, input: RehearsalInput, number: number): Promise<{ workflowId: string }> {
  const workflowId = rehearsalWorkflowId(input.campaignId, number);
  await deps.temporal.connection.withDeadline(Date.now() + COMMAND_DEADLINE_MS, () => deps.temporal.workflow.start(rehearsalWorkflow, {
    workflowId, taskQueue: deps.taskQueue, args: [input],
    workflowIdConflictPolicy: 'FAIL', workflowIdReusePolicy: 'REJECT_DUPLICATE',
    staticSummary: `Rehearsal ${number}: the arc to ${input.addresses.length} test address(es), one day every ${input.dayLengthSeconds} s`,
  }));
  return { workflowId };
}
