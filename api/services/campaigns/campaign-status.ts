import type { Client } from '@temporalio/client';
import type { Stage } from '../../../domain/campaigns/narrative';
import { type CampaignStatus, type LastFailure, STATUS_MEMO, campaignWorkflowId } from '../../../domain/campaigns/workflow-contract';
import { campaignStatus } from '../../../workflows/campaigns/lifecycle';
import { CurrentStepKey, StageKey } from '../../../workflows/search-attributes';
import { notFound } from '../../problem';
import { RecentAnswers } from '../recent-answers';
import type { DeliveryChannel } from '../../../domain/delivery/channels';
import type { CampaignState } from './campaign-guard';
import { type ProgressRow, progressSql, progressView } from './campaign-progress';

/**
 * How long the routine status waits for Temporal's describe before answering with the database's side
 * alone and `live: 'unavailable'`. Enforced with a timer, not only as the gRPC deadline: a client that
 * is reconnecting to an unreachable server answers the deadline late.
 */
export const DESCRIBE_DEADLINE_MS = 1_000;
/** How long one describe answer (or failure) serves every status request for the campaign. */
const DESCRIBE_FRESH_MS = 1_000;
/**
 * How long one read of the database's side serves every status request for the campaign (issue 12
 * item 4: a status polled by many callers costs one read a second, not one per call). Its counters are
 * at most this old; a lifecycle command through this process forgets it at once (forgetStoredStatus).
 */
const STORED_FRESH_MS = 1_000;
/** The live workflow query (`?live=true`) goes through a workflow task on a worker: it may take longer. */
const LIVE_QUERY_DEADLINE_MS = 5_000;

/** The workflow's status in the API's snake_case. */
export function workflowStatusView(status: CampaignStatus) {
  return {
    stage: status.stage,
    current_step: status.currentStep,
    next_step: status.nextStep,
    next_due_at: status.nextDueAt,
    paused_since: status.pausedSince,
    pause_reason: status.pauseReason,
    stop_reason: status.stopReason,
    schedule_shift_ms: status.scheduleShiftMs,
    steps: Object.fromEntries(Object.entries(status.steps).map(([step, tally]) => [step, {
      sent: tally.sent, skipped: tally.skipped, failed: tally.failed, skip_reasons: tally.skipReasons, budget_exhausted: tally.budgetExhausted,
    }])),
  };
}

interface StoredRow {
  track15_stage: CampaignState['track15_stage']; track15_activated_at: string | null; track15_completed_at: string | null;
  track15_paused_at: string | null; track15_pause_reason: string | null; track15_stop_reason: string | null;
  test_recipients: number | null; control_recipients: number | null; last_failure: LastFailure | null;
  steps: { step_number: number; stage: Stage; day: number }[];
  counts: { step_number: number; channel: DeliveryChannel; outcome: string; skip_reason: string; n: number }[];
  goal_amount: string | null; progress: ProgressRow;
}

// One statement, and every part of it reads a fixed number of rows: the campaign row, its 15 steps and
// the step counters (campaign_delivery_counts, kept by triggers as the ledger changes). Nothing here
// grows with the audience; the progress reads the campaign's own gifts through an index-only scan.
// Run through read_as_client (one round trip, `$1` the campaign id).
const STORED_STATUS_SQL = `
  select row_to_json(status) from (
  select c.track15_stage, c.track15_activated_at, c.track15_completed_at, c.track15_paused_at, c.track15_pause_reason,
         c.track15_stop_reason, c.track15_test_recipients as test_recipients, c.track15_control_recipients as control_recipients,
         c.track15_last_failure as last_failure,
         coalesce((select json_agg(json_build_object('step_number', s.step_number, 'stage', s.stage, 'day', s.day) order by s.step_number)
                     from track15_narrative_steps s where s.campaign_id = c.id), '[]') as steps,
         coalesce((select json_agg(k) from (
                     select step_number, channel, outcome, skip_reason, sum(n)::int as n from campaign_delivery_counts
                      where campaign_id = c.id group by step_number, channel, outcome, skip_reason having sum(n) <> 0) k), '[]') as counts,
         c.goal_amount, ${progressSql('c')} as progress
    from campaigns c
   where c.id = $1 and c.deleted_at is null) status`;

const recentStoredStatuses = new RecentAnswers<StoredStatus>(STORED_FRESH_MS);

/** Forgets the remembered database side of a campaign's status, after this process changed the campaign. */
export function forgetStoredStatus(clientId: string, campaignId: string): void {
  recentStoredStatuses.forget((key) => key === `${clientId}/${campaignId}`);
}

/**
 * The database's side of the status, in the caller's tenant: the campaign row, the audience's size
 * (written at activation) and, per step, the ledger's rows by outcome (`pending`, `sent` — delivery facts
 * such as delivered or opened count as sent —, `failed`, `skipped`) and skips by reason, from the
 * counters, in all and by channel (`channels.email`, `channels.sms`: a step sent by both has a row per
 * channel for each donor, so its totals count messages, not donors), and the money raised toward the goal
 * (campaign-progress.ts: major units of the client's currency). `read` runs the statement in the client's
 * tenant (request.readAsClient); the caller must have checked that it may act for `clientId` (the answer
 * is shared for STORED_FRESH_MS by client and campaign). 404 when the campaign is not the caller's or was deleted.
 */
export function storedStatus(read: (query: string, arg: string) => Promise<StoredRow | null>, clientId: string, campaignId: string): Promise<StoredStatus> {
  // The view, not the row, is remembered: callers polling within the window share its building too.
  return recentStoredStatuses.get(`${clientId}/${campaignId}`, async () => {
    const found = await read(STORED_STATUS_SQL, campaignId);
    if (!found) throw notFound('campaign');
    return storedView(campaignId, found);
  });
}

export type StoredStatus = ReturnType<typeof storedView>;

function storedView(campaignId: string, row: StoredRow) {
  return {
    campaign_id: campaignId,
    stage: row.track15_stage,
    activated_at: row.track15_activated_at,
    completed_at: row.track15_completed_at,
    paused_at: row.track15_paused_at,
    pause_reason: row.track15_pause_reason,
    stop_reason: row.track15_stop_reason,
    recipients: { test: row.test_recipients ?? 0, control: row.control_recipients ?? 0 },
    last_failure: row.last_failure,
    progress: progressView(row.progress, row.goal_amount),
    steps: row.steps.map((step) => {
      const counts = row.counts.filter((c) => c.step_number === step.step_number);
      const channels: Partial<Record<DeliveryChannel, ChannelCounts>> = {};
      for (const channel of new Set(counts.map((c) => c.channel))) channels[channel] = countsOf(counts.filter((c) => c.channel === channel));
      return { ...step, ...countsOf(counts), channels };
    }),
  };
}

interface ChannelCounts { deliveries: Record<string, number>; skip_reasons: Record<string, number> }

/** Counter rows summed by outcome and by skip reason. */
function countsOf(counts: StoredRow['counts']): ChannelCounts {
  const deliveries: Record<string, number> = {};
  const skipReasons: Record<string, number> = {};
  for (const count of counts) {
    deliveries[count.outcome] = (deliveries[count.outcome] ?? 0) + count.n;
    if (count.skip_reason) skipReasons[count.skip_reason] = (skipReasons[count.skip_reason] ?? 0) + count.n;
  }
  return { deliveries, skip_reasons: skipReasons };
}

/** What Temporal's describe says of the campaign's run, without a workflow task: no worker involved. */
export interface ExecutionView {
  /** Temporal's execution status: RUNNING, COMPLETED, FAILED, TERMINATED, CANCELLED, TIMED_OUT, CONTINUED_AS_NEW. */
  status: string;
  /** The Track15Stage and CurrentStep search attributes. */
  stage: string | null;
  current_step: number | null;
  /** From the run's memo, as the workflow last published them. */
  next_step: number | null;
  next_due_at: string | null;
  last_failure: LastFailure | null;
}

export type ExecutionAnswer = { live: 'answered'; execution: ExecutionView } | { live: 'unavailable'; execution: null; live_error: string };

interface StatusMemo { nextStep?: number | null; nextDueAt?: string | null; lastFailure?: LastFailure }

/**
 * Recent describe answers by campaign (DESCRIBE_FRESH_MS): status stays one gRPC call a second per
 * campaign however many callers poll it, and during an outage callers get `unavailable` at once instead
 * of each waiting out the deadline.
 */
const recentDescribes = new RecentAnswers<ExecutionAnswer>(DESCRIBE_FRESH_MS);

/** The run as Temporal's describe reports it, within DESCRIBE_DEADLINE_MS; never throws. */
export function describeExecution(temporal: Client, campaignId: string): Promise<ExecutionAnswer> {
  return recentDescribes.get(`${temporal.options.namespace}/${campaignId}`, () => withinDeadline(DESCRIBE_DEADLINE_MS, (deadline) => temporal.connection.withDeadline(deadline, async () => {
    const description = await temporal.workflow.getHandle(campaignWorkflowId(campaignId)).describe();
    const memo = (description.memo?.[STATUS_MEMO] ?? {}) as StatusMemo;
    const execution: ExecutionView = {
      status: description.status.name,
      stage: description.typedSearchAttributes.get(StageKey) ?? null,
      current_step: description.typedSearchAttributes.get(CurrentStepKey) ?? null,
      next_step: memo.nextStep ?? null,
      next_due_at: memo.nextDueAt ?? null,
      last_failure: memo.lastFailure ?? null,
    };
    return { live: 'answered' as const, execution };
  })).catch((error: unknown) => ({ live: 'unavailable' as const, execution: null, live_error: messageOf(error) })));
}

type WorkflowAnswer = { workflow: ReturnType<typeof workflowStatusView> | null; workflow_error?: string };

/**
 * Live queries in flight, by campaign. A workflow answers its queries one at a time, so requests that
 * arrive while one is being answered share it instead of queueing behind each other: same freshness,
 * one query.
 */
const inFlight = new Map<string, Promise<WorkflowAnswer>>();

/** Asks the workflow itself (`?live=true`), within LIVE_QUERY_DEADLINE_MS; never throws. */
export function askWorkflow(temporal: Client, campaignId: string): Promise<WorkflowAnswer> {
  const key = `${temporal.options.namespace}/${campaignId}`;
  let answer = inFlight.get(key);
  if (!answer) {
    answer = withinDeadline(LIVE_QUERY_DEADLINE_MS, (deadline) => temporal.connection.withDeadline(deadline, () => campaignStatus({ temporal }, campaignId)))
      .then((status) => ({ workflow: workflowStatusView(status) }), (error: unknown) => ({ workflow: null, workflow_error: messageOf(error) }))
      .finally(() => inFlight.delete(key));
    inFlight.set(key, answer);
  }
  return answer;
}

/** Runs `call` with a gRPC deadline and also gives up on it when the deadline passes, whatever the call does. */
async function withinDeadline<T>(ms: number, call: (deadline: number) => Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`Temporal did not answer within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([call(Date.now() + ms), expired]);
  } finally {
    clearTimeout(timer);
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
