import {
  allHandlersFinished, condition, getExternalWorkflowHandle, proxyActivities, setHandler, startChild,
  upsertSearchAttributes,
} from '@temporalio/workflow';
import type { CampaignActivities } from '../activities';
import { textFault } from '../domain/text';
import {
  type CampaignPlan, type CampaignStatus, type CampaignWorkflowInput, type PauseRequest, type StepTally, type StopRequest,
  haltSignal, holdSignal, pauseUpdate, resumeUpdate, statusQuery, stopUpdate, touchpointWorkflowId,
} from './definitions';
import { CurrentStepKey, StageKey } from './search-attributes';
import { touchpointWorkflow } from './touchpoint';

const { loadCampaignPlan, recordCampaignStage, completeCampaign } = proxyActivities<CampaignActivities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
});

/**
 * One Track15 campaign: fifteen touchpoints on their schedule, each delivered by a child workflow,
 * then the analytics at the end of day 15. Sleeps are durable timers; pause holds the arc and resume
 * shifts what remains by the time paused, so the arc keeps its spacing.
 */
export async function campaignWorkflow(input: CampaignWorkflowInput): Promise<CampaignStatus> {
  const arc = new ArcState();
  let runningStep: number | null = null;

  const signalRunningStep = async (send: (handle: ReturnType<typeof getExternalWorkflowHandle>) => Promise<void>) => {
    if (runningStep === null) return;
    try {
      await send(getExternalWorkflowHandle(touchpointWorkflowId(input.campaignId, runningStep)));
    } catch (error) {
      // The touchpoint finished before this run saw its result: there is nothing left to hold or halt.
      if (!(error instanceof Error && /not found/i.test(error.message))) throw error;
    }
  };

  const pause = async (reason: string) => {
    arc.pause(reason);
    upsertSearchAttributes([{ key: StageKey, value: 'paused' }]);
    await signalRunningStep((child) => child.signal(holdSignal, true));
    await recordCampaignStage({ ...input, stage: 'paused', reason });
  };

  setHandler(statusQuery, () => arc.status());
  setHandler(pauseUpdate, async ({ reason }: PauseRequest) => {
    await pause(reason?.trim() || 'paused by a campaign manager');
    return arc.status();
  }, { validator: ({ reason }: PauseRequest) => arc.refusePause(reason) });
  setHandler(resumeUpdate, async () => {
    arc.resume();
    upsertSearchAttributes([{ key: StageKey, value: 'active' }]);
    await signalRunningStep((child) => child.signal(holdSignal, false));
    await recordCampaignStage({ ...input, stage: 'active' });
    return arc.status();
  }, { validator: () => arc.refuseResume() });
  setHandler(stopUpdate, async ({ reason }: StopRequest) => {
    arc.stop(reason);
    await signalRunningStep((child) => child.signal(haltSignal));
    return arc.status();
  }, { validator: ({ reason }: StopRequest) => arc.refuseStop(reason) });

  const plan = await loadCampaignPlan(input);
  arc.plan = plan;

  for (const step of plan.steps) {
    arc.nextStep = step.stepNumber;
    await arc.waitUntil(() => step.dueAt);
    if (arc.stopReason) break;

    arc.currentStep = step.stepNumber;
    upsertSearchAttributes([{ key: CurrentStepKey, value: step.stepNumber }]);
    const child = await startChild(touchpointWorkflow, {
      workflowId: touchpointWorkflowId(input.campaignId, step.stepNumber),
      args: [{ ...input, stepNumber: step.stepNumber }],
      staticSummary: `Touchpoint ${step.stepNumber} (${step.stage}, day ${step.day}) of ${plan.name}`,
    });
    // Signals reach the child only once it has started; catch up on what happened while it was starting.
    runningStep = step.stepNumber;
    if (arc.paused) await child.signal(holdSignal, true);
    if (arc.stopReason) await child.signal(haltSignal);
    const tally = await child.result();
    runningStep = null;
    arc.steps[step.stepNumber] = tally;
    if (tally.budgetExhausted && !arc.paused && !arc.stopReason) await pause('budget_exhausted');
  }
  arc.nextStep = null;

  await arc.waitUntil(() => plan.windowEnd);
  arc.ended = true;
  await completeCampaign({ ...input, stopReason: arc.stopReason });
  upsertSearchAttributes([{ key: StageKey, value: 'completed' }]);
  // Let an Update that arrived at the very end reply before the run closes.
  await condition(allHandlersFinished);
  return arc.status();
}

/** The API checks reasons too; the workflow checks again, so no client can hand it text the database refuses. */
const MAX_REASON_LENGTH = 500;

function refuseBadReason(reason: unknown): void {
  if (typeof reason !== 'string') throw new Error('the reason must be text');
  const fault = textFault(reason);
  if (fault) throw new Error(`the reason ${fault}`);
  if (reason.length > MAX_REASON_LENGTH) throw new Error(`the reason is longer than ${MAX_REASON_LENGTH} characters`);
}

/** The arc's live state; every clock reading is workflow time, so replay sees the same values. */
class ArcState {
  plan: CampaignPlan | null = null;
  steps: Record<number, StepTally> = {};
  currentStep: number | null = null;
  nextStep: number | null = null;
  paused = false;
  pausedSince: number | null = null;
  pauseReason: string | null = null;
  stopReason: string | null = null;
  shiftMs = 0;
  ended = false;
  private wakeAt: number | null = null;

  /** Sleeps until the (pause-shifted) due time; returns early when the campaign is stopped. */
  async waitUntil(dueAt: () => number): Promise<void> {
    for (;;) {
      if (this.stopReason) return;
      if (this.paused) {
        this.wakeAt = null;
        await condition(() => !this.paused || this.stopReason !== null);
        continue;
      }
      const due = dueAt() + this.shiftMs;
      const remaining = due - Date.now();
      if (remaining <= 0) { this.wakeAt = null; return; }
      this.wakeAt = due;
      await condition(() => this.paused || this.stopReason !== null, remaining);
    }
  }

  refusePause(reason: string | undefined): void {
    if (reason !== undefined) refuseBadReason(reason);
    if (this.ended || this.stopReason) throw new Error('the campaign has ended; there is nothing to pause');
    if (this.paused) throw new Error(`the campaign is already paused (${this.pauseReason})`);
  }

  refuseResume(): void {
    if (this.ended || this.stopReason) throw new Error('the campaign has ended; there is nothing to resume');
    if (!this.paused) throw new Error('the campaign is not paused');
  }

  refuseStop(reason: string): void {
    if (typeof reason !== 'string' || reason.trim() === '') throw new Error('a stop needs a reason');
    refuseBadReason(reason);
    if (this.ended || this.stopReason) throw new Error('the campaign has already ended');
  }

  pause(reason: string): void {
    this.paused = true;
    this.pausedSince = Date.now();
    this.pauseReason = reason;
  }

  resume(): void {
    this.shiftMs += Date.now() - (this.pausedSince ?? Date.now());
    this.paused = false;
    this.pausedSince = null;
    this.pauseReason = null;
  }

  stop(reason: string): void {
    this.stopReason = reason.trim();
  }

  status(): CampaignStatus {
    return {
      stage: this.ended ? 'completed' : this.paused ? 'paused' : 'active',
      currentStep: this.currentStep,
      nextStep: this.nextStep,
      nextDueAt: this.wakeAt !== null && !this.paused ? new Date(this.wakeAt).toISOString() : null,
      pausedSince: this.pausedSince !== null ? new Date(this.pausedSince).toISOString() : null,
      pauseReason: this.pauseReason,
      stopReason: this.stopReason,
      scheduleShiftMs: this.shiftMs,
      steps: this.steps,
    };
  }
}
