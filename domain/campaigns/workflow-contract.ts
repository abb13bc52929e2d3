/**
 * The campaign workflow's public surface, shared by workflow code and its clients (API, tests, CLI):
 * input types, the Updates a manager uses, the status query, and the signals the parent sends its
 * touchpoint children. Payloads are objects so fields can be added without breaking running campaigns.
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { DeliveryChannel } from '../delivery/channels';
import type { AbDecisionRecord } from '../experiments/ab-test';

export const TASK_QUEUE_DEFAULT = 'track15';

export interface CampaignWorkflowInput {
  campaignId: string;
  clientId: string;
}

export interface PlannedStep {
  stepNumber: number;
  day: number;
  stage: string;
  /** Epoch milliseconds the touchpoint is due, before any pause shifted the schedule. */
  dueAt: number;
}

/** Recipients in `zones` get the touchpoint at `dueAt` (epoch milliseconds); see domain/campaigns/schedule.ts. */
export interface TouchpointWave { dueAt: number; zones: string[] }

/** Asks for a touchpoint's waves (or, with `stepNumber` null, the end of the arc) after `pausedMs` of pauses in all. */
export interface TouchpointPlanRequest extends CampaignWorkflowInput { stepNumber: number | null; pausedMs: number }

export interface TouchpointPlan {
  /** In time order; recipients of each wave's zones are delivered when it is due. */
  waves: TouchpointWave[];
  /** End of the arc's last day in the zone where it ends last: analytics are computed after it. */
  windowEnd: number;
  /** How far the pauses moved what remains: the paused time rounded up to whole days, in milliseconds. */
  scheduleShiftMs: number;
  /** The channels the step is delivered on (email first); absent in plans made before lanes per channel. */
  channels?: DeliveryChannel[];
}

export interface CampaignPlan {
  name: string;
  season: string | null;
  steps: PlannedStep[];
  /** End of day 15: analytics are computed after it. */
  windowEnd: number;
}

/**
 * Why a recipient did not get a touchpoint. For a text: `no_address` is no valid E.164 phone, `sms_opted_out`
 * a number that texted STOP to the client, `no_sms_consent` no SMS consent for marketing (issue 18).
 */
export type SkipReason = 'unsubscribed' | 'suppressed' | 'no_address' | 'control_group' | 'already_gave' | 'budget_exhausted' | 'frequency_cap'
  | 'sms_opted_out' | 'no_sms_consent';

export interface StepTally {
  sent: number;
  skipped: number;
  failed: number;
  skipReasons: Partial<Record<SkipReason, number>>;
  /** The budget ran out during this step: the campaign pauses with reason budget_exhausted. */
  budgetExhausted: boolean;
}

export type CampaignStage = 'active' | 'paused' | 'completed';

export interface CampaignStatus {
  stage: CampaignStage;
  currentStep: number | null;
  nextStep: number | null;
  /** ISO time the next touchpoint is due, with pauses accounted for; null while paused or when done. */
  nextDueAt: string | null;
  pausedSince: string | null;
  pauseReason: string | null;
  stopReason: string | null;
  /** How far pauses have pushed the remaining schedule. */
  scheduleShiftMs: number;
  steps: Record<number, StepTally>;
}

/**
 * The failure that ended a campaign's arc, as the workflow saw it: the touchpoint running at the time
 * (null before the first or after the last), the activity that failed, the root cause's type (e.g.
 * `DataRejected`, activities/data-failures.ts) and message, and when (ISO time).
 */
export interface LastFailure { step: number | null; activity: string | null; type: string; reason: string; at: string }

/**
 * The key of the campaign run's memo holding what the status route shows without asking the workflow:
 * `{ nextStep, nextDueAt, lastFailure? }`. Temporal's describe returns the memo.
 */
export const STATUS_MEMO = 'track15Status';

export interface PauseRequest { reason?: string }
export interface StopRequest { reason: string }

export const pauseUpdate = defineUpdate<CampaignStatus, [PauseRequest]>('pause');
export const resumeUpdate = defineUpdate<CampaignStatus, []>('resume');
export const stopUpdate = defineUpdate<CampaignStatus, [StopRequest]>('stop');
export const statusQuery = defineQuery<CampaignStatus>('status');

/**
 * A touchpoint pages its audience in this many lanes side by side (recipients are sharded by a hash of
 * their id at activation), so provider and database round trips overlap.
 */
export const DELIVERY_LANES = 8;

/** Where a lane has paged to: the last donor id it delivered, null before its first page, 'done' after its last. */
export type LaneCursor = string | null | 'done';

export interface TouchpointInput {
  campaignId: string;
  clientId: string;
  stepNumber: number;
  /**
   * The waves still to deliver, the first one current (absent for touchpoints started before waves: they
   * deliver to the whole audience at once).
   */
  waves?: TouchpointWave[];
  /**
   * The step's channels: the touchpoint pages one set of DELIVERY_LANES lanes per channel, each naming its
   * channel. Absent for touchpoints started before (their lanes name none and deliver the step's one channel).
   */
  channels?: DeliveryChannel[];
  /**
   * Set when the touchpoint continues as new: where each lane of the current wave resumes, what was tallied
   * so far, and (CHANNEL_LANES_PATCH) until when (epoch ms) each lane waits, null for none.
   */
  resumeFrom?: { lanes: LaneCursor[]; tally: StepTally; held: boolean; waveStarted?: boolean; waits?: (number | null)[] };
  /** The step's A/B test under way (carried across continue-as-new); absent for steps without one. */
  ab?: TouchpointAbState;
  /**
   * What the campaign plans next (the following step, or null for the end of the arc) and the time paused
   * (ms) it is planned for: the touchpoint plans it once it has delivered and returns the plan with its tally,
   * so the campaign's own history needs no planning activity between touchpoints. Absent for touchpoints
   * started before (the campaign plans itself) and for runs without time-zone waves.
   */
  planNext?: Omit<TouchpointPlanRequest, keyof CampaignWorkflowInput>;
}

/** A touchpoint's tally and, when its input asked (`planNext`), the plan of what the campaign does next. */
export interface TouchpointResult extends StepTally { nextPlan?: TouchpointPlan }

/**
 * Where a touchpoint's A/B test is (issue 14 item 4): sending the variants to the test share, or the
 * winner to the rest after the wait and the decision. `plan`: the waves as first planned, which the rest
 * phase repeats, shifted to start at the decision.
 */
export interface TouchpointAbState {
  phase: 'test' | 'rest';
  waitMs: number;
  plan?: TouchpointWave[];
  decision?: AbDecisionRecord;
}

/** The touchpoint's A/B decision once made (null before, or for a step without a test). */
export const abDecisionQuery = defineQuery<AbDecisionRecord | null>('abDecision');

/** The campaign was resumed after a pause: the touchpoint's waves not yet started move to this plan. */
export const rescheduleSignal = defineSignal<[TouchpointWave[]]>('reschedule');

/** true holds the touchpoint before its next batch (campaign paused), false releases it. */
export const holdSignal = defineSignal<[boolean]>('hold');
/** The campaign was stopped: finish the batch in flight and send nothing more. */
export const haltSignal = defineSignal('halt');

export function campaignWorkflowId(campaignId: string): string {
  return `campaign-${campaignId}`;
}

export function touchpointWorkflowId(campaignId: string, stepNumber: number): string {
  return `${campaignWorkflowId(campaignId)}/step-${stepNumber}`;
}

/** The workflow delivering one fired budget alert (workflows/budget-alert.ts): one per alert, ever. */
export function budgetAlertWorkflowId(alertId: string): string {
  return `budget-alert-${alertId}`;
}

export function emptyTally(): StepTally {
  return { sent: 0, skipped: 0, failed: 0, skipReasons: {}, budgetExhausted: false };
}

export function addTallies(a: StepTally, b: StepTally): StepTally {
  const skipReasons = { ...a.skipReasons };
  for (const [reason, count] of Object.entries(b.skipReasons) as [SkipReason, number][]) {
    skipReasons[reason] = (skipReasons[reason] ?? 0) + count;
  }
  return {
    sent: a.sent + b.sent,
    skipped: a.skipped + b.skipped,
    failed: a.failed + b.failed,
    skipReasons,
    budgetExhausted: a.budgetExhausted || b.budgetExhausted,
  };
}
