import {
  ActivityFailure, ChildWorkflowFailure, allHandlersFinished, condition, getExternalWorkflowHandle, patched, proxyActivities, setHandler,
  startChild, upsertMemo, upsertSearchAttributes,
} from '@temporalio/workflow';
import type { CampaignActivities } from '../../activities';
import { textFault } from '../../domain/text';
import {
  type CampaignPlan, type CampaignStatus, type CampaignWorkflowInput, type LastFailure, type PauseRequest, type StepTally, type StopRequest,
  type TouchpointPlan, STATUS_MEMO, haltSignal, holdSignal, pauseUpdate, rescheduleSignal, resumeUpdate, statusQuery, stopUpdate, touchpointWorkflowId,
} from '../../domain/campaigns/workflow-contract';
import { CurrentStepKey, StageKey } from '../search-attributes';
import { touchpointWorkflow } from './touchpoint';

const {
  loadCampaignPlan, planTouchpoint, recordCampaignStage, recordCampaignStop, recordCampaignFailure, completeCampaign,
} = proxyActivities<CampaignActivities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
});

/**
 * Campaigns started from here on deliver each touchpoint in time-zone waves (the plan comes from the
 * planTouchpoint activity: the campaign's own for the first step and after a resume, else the one the
 * touchpoint before ran and returned) and a resume moves what remains by whole days; runs started before keep
 * the single send at the campaign's hour and the exact shift by the paused time.
 */
export const TIME_ZONE_WAVES_PATCH = 'time-zone-waves';

/** patched() ids: each names a change of what the workflow does, so older histories replay as they ran. */
const RECORD_BEFORE_APPLY = 'record-command-before-applying-it';
const RECORD_LAST_FAILURE = 'record-last-failure';
const STATUS_MEMO_PATCH = 'status-in-memo';

/**
 * One Track15 campaign: fifteen touchpoints on their schedule, each delivered by a child workflow in
 * time-zone waves, then the analytics at the end of the arc's last day. Sleeps are durable timers; pause
 * holds the arc and resume moves what remains by the paused time rounded up to whole days, so every
 * touchpoint keeps its day spacing and its send hour (domain/campaigns/schedule.ts).
 */
export async function campaignWorkflow(input: CampaignWorkflowInput): Promise<CampaignStatus> {
  // Decided before anything else happens, so a replay of an older run takes the same branch.
  const waves = patched(TIME_ZONE_WAVES_PATCH);
  const arc = new ArcState();
  let runningStep: number | null = null;
  const planStep = (stepNumber: number | null) => planTouchpoint({ ...input, stepNumber, pausedMs: arc.shiftMs });

  const signalRunningStep = async (send: (handle: ReturnType<typeof getExternalWorkflowHandle>) => Promise<void>) => {
    if (runningStep === null) return;
    try {
      await send(getExternalWorkflowHandle(touchpointWorkflowId(input.campaignId, runningStep)));
    } catch (error) {
      // The touchpoint finished before this run saw its result: there is nothing left to hold or halt.
      if (!(error instanceof Error && /not found/i.test(error.message))) throw error;
    }
  };

  /**
   * A resume or stop is written to the database first and applied to the arc only once the write is
   * accepted: a write the database refuses fails the command (the Update answers with the reason) and
   * leaves the arc as it was, so the workflow and the campaign row never disagree. Histories recorded
   * before this order replay the old one (apply, then record).
   */
  const command = async (name: string, record: () => Promise<void>, apply: () => Promise<void>) => {
    if (!patched(RECORD_BEFORE_APPLY)) {
      await apply();
      await record();
      return;
    }
    arc.commandInFlight = name;
    try {
      await record();
    } finally {
      arc.commandInFlight = null;
    }
    await apply();
  };

  const holdArc = async (hold: boolean) => {
    upsertSearchAttributes([{ key: StageKey, value: hold ? 'paused' : 'active' }]);
    await signalRunningStep((child) => child.signal(holdSignal, hold));
  };

  /**
   * A pause holds the arc at once (no new send starts while its write is under way) and is taken back,
   * as if it never happened, when the database refuses the write; the Update then fails with the reason.
   */
  const pause = async (reason: string) => {
    arc.pause(reason);
    if (!patched(RECORD_BEFORE_APPLY)) {
      await holdArc(true);
      await recordCampaignStage({ ...input, stage: 'paused', reason });
      return;
    }
    arc.commandInFlight = 'pause';
    try {
      await holdArc(true);
      await recordCampaignStage({ ...input, stage: 'paused', reason });
    } catch (error) {
      arc.takeBackPause();
      await holdArc(false);
      throw error;
    } finally {
      arc.commandInFlight = null;
    }
  };

  setHandler(statusQuery, () => arc.status());
  setHandler(pauseUpdate, async ({ reason }: PauseRequest) => {
    await pause(reason?.trim() || 'paused by a campaign manager');
    return arc.status();
  }, { validator: ({ reason }: PauseRequest) => arc.refusePause(reason) });
  setHandler(resumeUpdate, async () => {
    await command('resume', () => recordCampaignStage({ ...input, stage: 'active' }), async () => {
      arc.resume();
      upsertSearchAttributes([{ key: StageKey, value: 'active' }]);
      if (waves) {
        // The running touchpoint's waves not yet started move with the rest; the plan arrives before the release.
        const step = runningStep;
        const plan = await planStep(step ?? arc.nextStep);
        arc.planned(plan);
        if (step !== null) await signalRunningStep((child) => child.signal(rescheduleSignal, plan.waves));
      }
      await signalRunningStep((child) => child.signal(holdSignal, false));
    });
    return arc.status();
  }, { validator: () => arc.refuseResume() });
  setHandler(stopUpdate, async ({ reason }: StopRequest) => {
    // Before this order, a stop wrote nothing until completion: old histories have no activity here.
    const record = () => (patched(RECORD_BEFORE_APPLY) ? recordCampaignStop({ ...input, reason: reason.trim() }) : Promise.resolve());
    await command('stop', record, async () => {
      arc.stop(reason);
      await signalRunningStep((child) => child.signal(haltSignal));
    });
    return arc.status();
  }, { validator: ({ reason }: StopRequest) => arc.refuseStop(reason) });

  try {
    await runArc();
  } catch (error) {
    // The failure that ends the arc is kept where the status route reads it (the campaign row) and in the
    // run's memo, which Temporal's describe returns even when the database write is refused too.
    if ((error instanceof ActivityFailure || error instanceof ChildWorkflowFailure) && patched(RECORD_LAST_FAILURE)) {
      const failure = describeFailure(error, arc.currentStep);
      upsertMemo({ [STATUS_MEMO]: { ...arc.memo(), lastFailure: failure } });
      // A campaign row that cannot take the record (its id is not one, the database refuses) leaves the memo:
      // the run still fails with the original failure, not with this one.
      await recordCampaignFailure({ ...input, failure }).catch(() => undefined);
    }
    throw error;
  }
  // Let an Update that arrived at the very end reply before the run closes.
  await condition(allHandlersFinished);
  return arc.status();

  /** The arc itself: the plan, the touchpoints on their schedule, the analytics at the end. */
  async function runArc(): Promise<void> {
    const plan = await loadCampaignPlan(input);
    arc.plan = plan;

    // The next touchpoint's plan is fetched before the last one's tally is published, so the status never
    // shows a finished step without the next due time.
    let ahead: PlanAhead | null = null;
    for (const [index, step] of plan.steps.entries()) {
      arc.nextStep = step.stepNumber;
      const stepPlan = waves ? await arc.waitForPlan(() => planStep(step.stepNumber), ahead) : await arc.waitUntil(() => step.dueAt);
      if (arc.stopReason) break;

      arc.currentStep = step.stepNumber;
      upsertSearchAttributes([{ key: CurrentStepKey, value: step.stepNumber }]);
      const next = plan.steps[index + 1]?.stepNumber ?? null;
      // The touchpoint plans what follows it for the time paused so far; a pause meanwhile makes the arc plan again.
      const planNext = { stepNumber: next, pausedMs: arc.shiftMs };
      const child = await startChild(touchpointWorkflow, {
        workflowId: touchpointWorkflowId(input.campaignId, step.stepNumber),
        // A plan recorded before lanes per channel has no channels: its touchpoint starts as it did (replay-safe).
        args: [{
          ...input, stepNumber: step.stepNumber, ...(stepPlan ? { waves: stepPlan.waves } : {}), ...(stepPlan?.channels ? { channels: stepPlan.channels } : {}),
          ...(waves ? { planNext } : {}),
        }],
        staticSummary: `Touchpoint ${step.stepNumber} (${step.stage}, day ${step.day}) of ${plan.name}`,
      });
      // Signals reach the child only once it has started; catch up on what happened while it was starting.
      runningStep = step.stepNumber;
      if (arc.paused) await child.signal(holdSignal, true);
      if (arc.stopReason) await child.signal(haltSignal);
      // A touchpoint started before it could plan (or halted) brings no plan: the arc makes its own, as it did.
      const { nextPlan, ...tally } = await child.result();
      runningStep = null;
      if (waves && !arc.stopReason) {
        arc.nextStep = next;
        ahead = await arc.planAhead(nextPlan ? { plan: nextPlan, pausedMs: planNext.pausedMs } : () => planStep(next));
      }
      arc.steps[step.stepNumber] = tally;
      if (tally.budgetExhausted && !arc.paused && !arc.stopReason) await pause('budget_exhausted');
    }
    arc.nextStep = null;

    if (waves) await arc.waitForPlan(() => planStep(null), ahead);
    else await arc.waitUntil(() => plan.windowEnd);
    arc.ended = true;
    await completeCampaign({ ...input, stopReason: arc.stopReason });
    upsertSearchAttributes([{ key: StageKey, value: 'completed' }]);
  }
}

/**
 * Where the arc failed and why, from the failure chain: the touchpoint (when one was running), the
 * activity that failed, and what the activity said: its failure's type (e.g. DataRejected,
 * activities/data-failures.ts) and message. Times are workflow time.
 */
function describeFailure(error: ActivityFailure | ChildWorkflowFailure, step: number | null): LastFailure {
  let activity: string | null = null;
  let cause: unknown = error;
  let root: Error = error;
  while (cause instanceof Error) {
    root = cause;
    if (cause instanceof ActivityFailure) {
      activity = cause.activityType;
      if (cause.cause instanceof Error) root = cause.cause;
      break;
    }
    cause = cause.cause;
  }
  const type = (root as { type?: unknown }).type;
  return { step, activity, type: typeof type === 'string' ? type : root.name, reason: root.message, at: new Date().toISOString() };
}

/** The API checks reasons too; the workflow checks again, so no client can hand it text the database refuses. */
const MAX_REASON_LENGTH = 500;

function refuseBadReason(reason: unknown): void {
  if (typeof reason !== 'string') throw new Error('the reason must be text');
  const fault = textFault(reason);
  if (fault) throw new Error(`the reason ${fault}`);
  if (reason.length > MAX_REASON_LENGTH) throw new Error(`the reason is longer than ${MAX_REASON_LENGTH} characters`);
}

/** A plan fetched before it is needed, and the time paused it was made for. */
interface PlanAhead { plan: TouchpointPlan; pausedMs: number }

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
  /** Time paused in all (milliseconds). */
  shiftMs = 0;
  /** How far the pauses moved the plan, as the last plan said (time-zone waves), rather than the time paused. */
  private plannedShiftMs: number | null = null;
  ended = false;
  /** A pause, resume or stop whose database write is under way: other commands wait for it to settle. */
  commandInFlight: string | null = null;
  private wakeAt: number | null = null;
  private publishedMemo = '';
  /** The arc is planning or sleeping until what it planned (time-zone waves), not running a touchpoint. */
  private waiting = false;

  /**
   * Plans the touchpoint (or the end of the arc) for the time paused so far and sleeps until its first wave
   * is due, planning again after each pause. Returns the plan, or null when the campaign is stopped.
   */
  async waitForPlan(plan: () => Promise<TouchpointPlan>, ahead: PlanAhead | null): Promise<TouchpointPlan | null> {
    this.waiting = true;
    try {
      for (;;) {
        await condition(() => !this.paused || this.stopReason !== null);
        if (this.stopReason) return null;
        // A plan made ahead holds while no pause has happened since.
        const current = ahead?.pausedMs === this.shiftMs ? ahead.plan : await plan();
        ahead = null;
        this.planned(current);
        const due = current.waves[0]?.dueAt ?? current.windowEnd;
        for (;;) {
          if (this.stopReason) return null;
          if (this.paused) break;
          const remaining = due - Date.now();
          if (remaining <= 0) return current;
          await condition(() => this.paused || this.stopReason !== null, remaining);
        }
      }
    } finally {
      this.waiting = false;
      this.wakeAt = null;
      this.publish();
    }
  }

  /**
   * Plans what comes next while the arc still counts as running it (or takes the plan a touchpoint made);
   * the status shows the plan's due time.
   */
  async planAhead(plan: (() => Promise<TouchpointPlan>) | PlanAhead): Promise<PlanAhead> {
    const pausedMs = this.shiftMs;
    const ahead = typeof plan === 'function' ? { plan: await plan(), pausedMs } : plan;
    this.waiting = true;
    this.planned(ahead.plan);
    return ahead;
  }

  /** Takes a plan's shift and, while the arc waits for what it plans, its due time for the status. */
  planned(plan: TouchpointPlan): void {
    this.plannedShiftMs = plan.scheduleShiftMs;
    if (this.waiting) this.wakeAt = plan.waves[0]?.dueAt ?? plan.windowEnd;
    this.publish();
  }

  /** Sleeps until the (pause-shifted) due time; returns early when the campaign is stopped. */
  async waitUntil(dueAt: () => number): Promise<null> {
    for (;;) {
      if (this.stopReason) return null;
      if (this.paused) {
        this.wakeAt = null;
        this.publish();
        await condition(() => !this.paused || this.stopReason !== null);
        continue;
      }
      const due = dueAt() + this.shiftMs;
      const remaining = due - Date.now();
      if (remaining <= 0) { this.wakeAt = null; return null; }
      this.wakeAt = due;
      this.publish();
      await condition(() => this.paused || this.stopReason !== null, remaining);
    }
  }

  /** What the status route reads from Temporal's describe, without a query through a worker. */
  memo(): { nextStep: number | null; nextDueAt: string | null } {
    const { nextStep, nextDueAt } = this.status();
    return { nextStep, nextDueAt };
  }

  /** Puts the next step and its due time in the run's memo when they changed. */
  publish(): void {
    const memo = this.memo();
    const serialized = JSON.stringify(memo);
    if (serialized === this.publishedMemo || !patched(STATUS_MEMO_PATCH)) return;
    this.publishedMemo = serialized;
    upsertMemo({ [STATUS_MEMO]: memo });
  }

  private refuseDuringCommand(): void {
    if (this.commandInFlight) throw new Error(`a ${this.commandInFlight} of this campaign is being recorded; try again in a moment`);
  }

  refusePause(reason: string | undefined): void {
    if (reason !== undefined) refuseBadReason(reason);
    this.refuseDuringCommand();
    if (this.ended || this.stopReason) throw new Error('the campaign has ended; there is nothing to pause');
    if (this.paused) throw new Error(`the campaign is already paused (${this.pauseReason})`);
  }

  refuseResume(): void {
    this.refuseDuringCommand();
    if (this.ended || this.stopReason) throw new Error('the campaign has ended; there is nothing to resume');
    if (!this.paused) throw new Error('the campaign is not paused');
  }

  refuseStop(reason: string): void {
    if (typeof reason !== 'string' || reason.trim() === '') throw new Error('a stop needs a reason');
    refuseBadReason(reason);
    this.refuseDuringCommand();
    if (this.ended || this.stopReason) throw new Error('the campaign has already ended');
  }

  pause(reason: string): void {
    this.paused = true;
    this.pausedSince = Date.now();
    this.pauseReason = reason;
    this.publish();
  }

  /** Undoes a pause the database refused: no time counts as paused, so the schedule does not move. */
  takeBackPause(): void {
    this.paused = false;
    this.pausedSince = null;
    this.pauseReason = null;
    this.publish();
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
      scheduleShiftMs: this.plannedShiftMs ?? this.shiftMs,
      steps: this.steps,
    };
  }
}
