import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import {
  ParentClosePolicy, WorkflowIdReusePolicy, condition, continueAsNew, patched, proxyActivities, setHandler, startChild, workflowInfo,
} from '@temporalio/workflow';
import type { CampaignActivities } from '../../activities';
import type { AbPhase } from '../../activities/delivery/deliver-batch';
import { budgetAlertWorkflow } from '../budget-alert';
import {
  DELIVERY_LANES, budgetAlertWorkflowId, type LaneCursor, type TouchpointAbState, type TouchpointInput, type TouchpointResult, type TouchpointWave,
  abDecisionQuery, addTallies,
  emptyTally, haltSignal, holdSignal, rescheduleSignal,
} from '../../domain/campaigns/workflow-contract';

const { deliverBatch } = proxyActivities<CampaignActivities>({
  startToCloseTimeout: '2 minutes',
  // A worker that dies mid-batch is noticed within seconds, not after the whole start-to-close timeout.
  heartbeatTimeout: '20 seconds',
  // Provider outages can last; keep retrying with backoff (Retry-After overrides the next delay).
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '2 minutes' },
});

const { planAbTest, decideAbTest, planTouchpoint } = proxyActivities<CampaignActivities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
});

/** Touchpoints started before A/B tests existed replay without looking for one. */
export const AB_TEST_PATCH = 'ab-test-v1';

/**
 * Touchpoints started from here on wait for a periodic budget's next period (a durable timer) instead of
 * skipping recipients with `budget_exhausted`, and start a delivery workflow for each budget alert their
 * batches fire; older histories replay as they ran.
 */
export const BUDGET_PERIODS_PATCH = 'budget-periods-and-alerts';

/**
 * Touchpoints started from here on page one set of DELIVERY_LANES lanes per channel of their step (a step
 * sent by email and SMS: an email lane and a text lane per shard, each with its own cursor, claims and
 * fence), and a lane told to wait (its budget's next period, SMS hours in its recipients' zone) waits alone
 * while the other lanes go on: a text held for 08:00 does not hold that recipient's email. Older histories
 * replay as they ran (every lane waiting for the latest such time).
 */
export const CHANNEL_LANES_PATCH = 'channel-lanes';

/** Keeps each run's history small however large the audience: ~6 events a batch. */
const ROUNDS_PER_RUN = 200;

/**
 * One touchpoint to the whole frozen audience, in time-zone waves: each wave waits (a durable timer) for
 * its due time, the send hour in its recipients' zones, then each lane pages its shard of the wave's
 * recipients with one activity per batch of at most 1,000, passing only a cursor; the lanes advance in
 * rounds, one batch each, and hold between rounds while the campaign is paused. A resume after a pause
 * moves the waves not yet started to the campaign's new plan. Touchpoints started before waves existed
 * (no `waves` in their input) deliver to everyone at once, as they did.
 *
 * A step with an A/B test (issue 14 item 4) is delivered twice over: first the test share, each recipient
 * their variant, in the waves as planned; then, after the test's wait (hours scaled by the day length),
 * the decision (activities/delivery/ab-decision.ts: rates from the stored SendGrid events, decideWinner)
 * is recorded and answered by the `abDecision` query, and the rest get the winner in the same waves,
 * shifted to start at the decision. Every recipient gets one message for the step: each phase claims
 * only its own recipients (deliver-batch.ts).
 *
 * A step sent by email and SMS (`input.channels`, from the campaign's plan) is paged by an email lane and a
 * text lane per shard (CHANNEL_LANES_PATCH): each donor gets one message per channel, each lane claiming,
 * fencing and settling only its own channel's ledger rows.
 *
 * A touchpoint whose input asks (`planNext`) returns, with its tally, the plan of what the campaign does
 * next; a halted one returns its tally alone.
 */
export async function touchpointWorkflow(input: TouchpointInput): Promise<TouchpointResult> {
  const budgetPeriods = patched(BUDGET_PERIODS_PATCH);
  const channelLanes = patched(CHANNEL_LANES_PATCH);
  // Lane i pages shard i % DELIVERY_LANES on channel laneChannels[i] (undefined: the step's one channel).
  const laneChannels = (channelLanes ? input.channels ?? [undefined] : [undefined])
    .flatMap((channel) => Array.from({ length: DELIVERY_LANES }, () => channel));
  const freshLanes = (): LaneCursor[] => laneChannels.map(() => null);
  const noWaits = (): (number | null)[] => laneChannels.map(() => null);
  let held = input.resumeFrom?.held ?? false;
  let halted = false;
  let replanned: TouchpointWave[] | null = null;
  setHandler(holdSignal, (hold) => { held = hold; });
  setHandler(haltSignal, () => { halted = true; });
  setHandler(rescheduleSignal, (waves) => { replanned = waves; });

  let tally = input.resumeFrom?.tally ?? emptyTally();
  let lanes: LaneCursor[] = input.resumeFrom?.lanes ?? freshLanes();
  let waits = input.resumeFrom?.waits ?? noWaits();
  let waves = input.waves ?? null;
  let waveStarted = input.resumeFrom?.waveStarted ?? false;
  let ab: TouchpointAbState | null = input.ab ?? null;
  setHandler(abDecisionQuery, () => ab?.decision ?? null);
  if (!input.resumeFrom && !ab && patched(AB_TEST_PATCH)) {
    const plan = await planAbTest({ campaignId: input.campaignId, clientId: input.clientId, stepNumber: input.stepNumber });
    if (plan) ab = { phase: 'test', waitMs: plan.waitMs, ...(waves ? { plan: waves } : {}) };
  }
  const abPhase = (): { ab?: AbPhase } => {
    if (!ab) return {};
    return { ab: ab.phase === 'test' ? { phase: 'test' } : { phase: 'rest', winner: ab.decision!.winner } };
  };

  /** Waves not started take the new plan's times; the one under way keeps going. */
  const applyReplan = () => {
    if (!replanned || !waves) return;
    const current = waveStarted ? waves.slice(0, 1) : [];
    const waiting = new Set(waves.slice(current.length).flatMap((wave) => wave.zones));
    const moved = replanned.map((wave) => ({ ...wave, zones: wave.zones.filter((zone) => waiting.has(zone)) })).filter((wave) => wave.zones.length > 0);
    waves = [...current, ...moved];
    replanned = null;
  };

  /**
   * Starts the delivery workflow of each alert a batch fired (workflows/budget-alert.ts), once: it outlives
   * this touchpoint (ABANDON), and its id is the alert's, so an alert answered by two lanes, or again by a
   * retried batch, is delivered by one workflow.
   */
  const handed = new Set<string>();
  const handOverAlerts = async (alertIds: string[]) => {
    for (const alertId of alertIds) {
      if (handed.has(alertId)) continue;
      handed.add(alertId);
      try {
        await startChild(budgetAlertWorkflow, {
          workflowId: budgetAlertWorkflowId(alertId),
          args: [{ clientId: input.clientId, alertId }],
          parentClosePolicy: ParentClosePolicy.ABANDON,
          workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
          staticSummary: `Budget alert ${alertId}`,
        });
      } catch (error) {
        if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
      }
    }
  };

  /**
   * Pages every lane to its end (of the wave's recipients when `zones` is set); false when halted first.
   * A lane whose batch ran out of its budget's period (or reached a recipient outside SMS hours) keeps its
   * place and waits (a durable timer) until then: alone (CHANNEL_LANES_PATCH), or with the whole round.
   */
  const deliverLanes = async (zones: string[] | undefined): Promise<boolean> => {
    for (let rounds = 0; lanes.some((lane) => lane !== 'done'); rounds++) {
      await condition(() => !held || halted);
      if (halted) return false;
      if (rounds >= ROUNDS_PER_RUN || workflowInfo().continueAsNewSuggested) {
        applyReplan();
        await continueAsNew<typeof touchpointWorkflow>({
          ...input, ...(waves ? { waves } : {}), ...(ab ? { ab } : {}),
          resumeFrom: { lanes, tally, held, ...(waves ? { waveStarted } : {}), ...(channelLanes ? { waits } : {}) },
        });
      }
      const now = Date.now();
      const due = lanes.flatMap((cursor, lane) => (cursor !== 'done' && (waits[lane] ?? now) <= now ? [lane] : []));
      if (due.length === 0) {
        // Every lane left waits (channelLanes only: otherwise no lane keeps a wait): sleep until the first is due.
        const next = Math.min(...waits.filter((at, lane): at is number => at !== null && lanes[lane] !== 'done'));
        await condition(() => halted, next - now);
        if (halted) return false;
        continue;
      }
      let periodEndsAt: number | null = null;
      await Promise.all(due.map(async (lane) => {
        const channel = laneChannels[lane];
        const batch = await deliverBatch({
          campaignId: input.campaignId, clientId: input.clientId, stepNumber: input.stepNumber, shard: lane % DELIVERY_LANES, afterDonorId: lanes[lane],
          ...(zones ? { zones } : {}), ...abPhase(), ...(budgetPeriods ? { waitForPeriod: true } : {}), ...(channel ? { channel } : {}),
        });
        tally = addTallies(tally, batch.tally);
        if (batch.waitUntil !== undefined) {
          lanes[lane] = batch.nextCursor;
          if (channelLanes) waits[lane] = batch.waitUntil;
          else periodEndsAt = Math.max(periodEndsAt ?? 0, batch.waitUntil);
        } else {
          lanes[lane] = batch.nextCursor ?? 'done';
          waits[lane] = null;
        }
        if (budgetPeriods && batch.alerts) await handOverAlerts(batch.alerts);
      }));
      if (periodEndsAt !== null && periodEndsAt > Date.now()) {
        await condition(() => halted, periodEndsAt - Date.now());
        if (halted) return false;
      }
    }
    return true;
  };

  await deliverPhase();
  if (ab?.phase === 'test' && !halted) {
    // The events of the test share arrive meanwhile; a stop ends the touchpoint without a decision.
    await condition(() => halted, ab.waitMs);
    if (halted) return tally;
    const decision = await decideAbTest({ campaignId: input.campaignId, clientId: input.clientId, stepNumber: input.stepNumber });
    const first = ab.plan?.[0];
    const shift = first ? Math.max(0, Date.now() - first.dueAt) : 0;
    waves = ab.plan ? ab.plan.map((wave) => ({ ...wave, dueAt: wave.dueAt + shift })) : null;
    lanes = freshLanes();
    waits = noWaits();
    waveStarted = false;
    ab = { phase: 'rest', waitMs: ab.waitMs, decision };
    await deliverPhase();
  }
  if (halted || !input.planNext) return tally;
  // What the campaign does next, planned now (as it would itself after this result): one activity here
  // instead of an activity and a workflow task more per step in the campaign's history.
  const nextPlan = await planTouchpoint({ campaignId: input.campaignId, clientId: input.clientId, ...input.planNext });
  return { ...tally, nextPlan };

  /** One pass over the audience: at once without waves, else each wave at its time. */
  async function deliverPhase(): Promise<void> {
    if (!waves) {
      await deliverLanes(undefined);
      return;
    }
    await deliverWaves();
  }

  async function deliverWaves(): Promise<void> {
    for (;;) {
      applyReplan();
      const wave: TouchpointWave | undefined = waves?.[0];
      if (!wave || halted) break;
      if (!waveStarted) {
        // Held, the wave waits for the resume (and its new time); otherwise for its due time or news.
        const remaining = wave.dueAt - Date.now();
        if (held || remaining > 0) {
          const wasHeld = held;
          const news = () => halted || replanned !== null || held !== wasHeld;
          if (wasHeld) await condition(news);
          else await condition(news, remaining);
          continue;
        }
        waveStarted = true;
      }
      if (!(await deliverLanes(wave.zones))) break;
      waves = waves!.slice(1);
      lanes = freshLanes();
      waits = noWaits();
      waveStarted = false;
    }
  }
}
