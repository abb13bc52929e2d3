import type { EntityManager } from '@mikro-orm/postgresql';
import { alertsToFire } from '../../domain/budgets/budget';
import { type BudgetPeriod, type SpendClock, isLaterPeriod, periodAt } from '../../domain/budgets/budget-period';
import type { DeliveryChannel } from '../../domain/delivery/channels';

export interface BudgetReservation {
  budgetId: string;
  campaignId: string;
  clientId: string;
  stepNumber: number;
  batchKey: string;
  /** The budget period the batch spends in (domain/budgets/budget-period.ts). */
  periodKey: string;
  /** How many of the wanted messages the budget allows (all of them without a hard cap). */
  affordable: number;
  /** Nothing more can be sent from this budget after this batch: the campaign pauses. */
  exhausted: boolean;
  /**
   * The period's amount cannot pay for every wanted message and the touchpoint waits for the next period
   * instead: when it starts, in real epoch milliseconds. Null otherwise.
   */
  waitUntil: number | null;
  /** What one message costs, in major units of `currency` (budgets.cost_per_message). */
  costPerMessage: number;
  currency: string;
}

interface ReserveInput {
  budgetId: string; campaignId: string; clientId: string; stepNumber: number; shard: number; afterDonorId: string | null;
  /** The lane's channel when its touchpoint names one (a lane per channel); batches of lanes that name none keep their older keys. */
  channel?: DeliveryChannel;
  /** Messages this batch would like to send now. */
  wanted: number;
  /** Messages an earlier attempt of this batch already sent: they stay paid for. */
  alreadySent: number;
  /** The campaign's clock: its periods are read on it. */
  clock: SpendClock;
  /**
   * The touchpoint can wait for a budget's next period (workflows/campaigns/touchpoint.ts, BUDGET_PERIODS_PATCH):
   * a periodic budget then never pauses the campaign, the batch waits. Touchpoints started before cannot.
   */
  waitForPeriod: boolean;
}

/**
 * Reserves a batch's cost before it is sent, under a row lock on the budget so campaigns sharing a
 * budget cannot overspend it together: every campaign whose usage names the budget (directly or through
 * its container) draws from the one amount, first come first served. The spend ledger row is keyed by the
 * batch, so a retried batch replaces its own reservation instead of adding a second one; the replacement
 * still covers what the earlier attempt sent, or another lane could spend that money twice before this
 * batch settles.
 *
 * A periodic budget (DAILY … YEARLY) is renewed here, under the same lock, by the first spend of a new
 * period: its figures move to that period and an EXHAUSTED status turns ACTIVE again.
 */
export async function reserveBudget(em: EntityManager, input: ReserveInput): Promise<BudgetReservation> {
  // A step's email lane and text lane page the same shard from the same cursors: the channel tells their batches apart.
  const lane = input.channel ? `${input.shard}/${input.channel}` : String(input.shard);
  const batchKey = `${input.campaignId}:${input.stepNumber}:${lane}:${input.afterDonorId ?? 'first'}`;
  const [budget] = await em.execute<{
    amount: string; spent: string; own: string | null; own_period: string | null; cost: string; hard_cap: boolean; currency: string;
    period: BudgetPeriod; period_key: string;
  }[]>(
    `select b.amount, b.amount_spent as spent, s.amount as own, s.period_key as own_period, b.cost_per_message as cost, b.hard_cap, b.currency,
            b.period, b.period_key
       from budgets b left join budget_spend s on s.batch_key = ?
      where b.id = ? for update of b`,
    [batchKey, input.budgetId],
  );
  const window = periodAt(budget.period, Date.now(), input.clock);
  let periodKey = budget.period_key;
  let spent = Number(budget.spent);
  if (isLaterPeriod(window.key, budget.period_key)) {
    await em.execute(
      `update budgets set period_key = ?, amount_spent = 0, status = case when status = 'EXHAUSTED' then 'ACTIVE' else status end where id = ?`,
      [window.key, input.budgetId]);
    periodKey = window.key;
    spent = 0;
  }
  const cost = Number(budget.cost);
  const capped = budget.hard_cap && cost > 0;
  const own = budget.own_period === periodKey ? Number(budget.own ?? 0) : 0;
  const headroom = Math.max(Number(budget.amount) - spent + own - input.alreadySent * cost, 0);
  const affordable = capped ? Math.min(input.wanted, Math.floor(headroom / cost + 1e-9)) : input.wanted;
  const reservation = {
    budgetId: input.budgetId, campaignId: input.campaignId, clientId: input.clientId, stepNumber: input.stepNumber, batchKey, periodKey,
    affordable, costPerMessage: cost, currency: budget.currency.trim(),
  };
  await recordSpend(em, reservation, input.alreadySent + affordable);
  const short = capped && affordable < input.wanted;
  if (window.nextStartsAt !== null && input.waitForPeriod) {
    return { ...reservation, exhausted: false, waitUntil: short ? window.nextStartsAt : null };
  }
  return { ...reservation, exhausted: capped && (short || headroom - affordable * cost < cost), waitUntil: null };
}

/**
 * Takes the budget's row lock first, as the claim does, so a settling lane and a claiming lane never
 * wait on each other's campaign and budget rows in opposite orders (a deadlock).
 */
export async function lockBudget(em: EntityManager, budgetId: string): Promise<void> {
  await em.execute('select 1 from budgets where id = ? for update', [budgetId]);
}

/**
 * Corrects the reservation to what was actually sent, then fires each alert threshold the spend crossed,
 * once per budget and period (the unique key of budget_alert_events), with the figures it fired at.
 * Answers the budget's alerts whose delivery has not been started yet (the ones fired now, and any an
 * earlier attempt fired but could not hand over before its worker died): the touchpoint starts a
 * delivery workflow for each (workflows/budget-alert.ts).
 */
export async function settleBudget(em: EntityManager, reservation: BudgetReservation, sent: number): Promise<string[]> {
  await recordSpend(em, reservation, sent);
  // A hard-capped budget that cannot pay for one more message (this period) is EXHAUSTED, so the API and
  // the summary say so; the next period renews it (reserveBudget), a raise of its amount is the caller's to
  // pair with status ACTIVE.
  await em.execute(
    `update budgets set status = 'EXHAUSTED'
      where id = ? and status = 'ACTIVE' and hard_cap and cost_per_message > 0 and amount - amount_spent < cost_per_message`,
    [reservation.budgetId]);
  const [budget] = await em.execute<{ percentage_spent: string; amount_spent: string; period_key: string; alerts: { threshold_percent: number }[]; fired: number[] }[]>(
    `select b.percentage_spent, b.amount_spent, b.period_key, b.alerts,
            coalesce(array_agg(e.threshold_percent::float8) filter (where e.threshold_percent is not null), '{}') as fired
       from budgets b left join budget_alert_events e on e.budget_id = b.id and e.period_key = b.period_key
      where b.id = ? group by b.id`,
    [reservation.budgetId],
  );
  const thresholds = (budget.alerts ?? []).map((alert) => Number(alert.threshold_percent));
  for (const threshold of alertsToFire(thresholds, budget.fired.map(Number), Number(budget.percentage_spent))) {
    await em.execute(
      `insert into budget_alert_events (budget_id, client_id, period_key, threshold_percent, percentage_spent, amount_spent)
       values (?, ?, ?, ?, ?, ?) on conflict do nothing`,
      [reservation.budgetId, reservation.clientId, budget.period_key, threshold, budget.percentage_spent, budget.amount_spent],
    );
  }
  const unhanded = await em.execute<{ id: string }[]>(
    'select id from budget_alert_events where budget_id = ? and handed_at is null order by fired_at, threshold_percent', [reservation.budgetId]);
  return unhanded.map((row) => row.id);
}

type SpendKey = Pick<BudgetReservation, 'budgetId' | 'campaignId' | 'clientId' | 'stepNumber' | 'batchKey' | 'periodKey'>;

/**
 * Sets the batch's spend row to `messages` and moves the budget's figures by the difference: the period's
 * (when the row counted in the budget's current period before) and the lifetime total. A retry that
 * crosses into a new period takes its whole row along: never less than was spent is counted.
 */
async function recordSpend(em: EntityManager, batch: SpendKey, messages: number): Promise<void> {
  await em.execute(
    `with previous as (select amount, period_key from budget_spend where batch_key = ?),
          cost as (select cost_per_message from budgets where id = ?),
          spend as (
            insert into budget_spend (client_id, budget_id, campaign_id, step_number, batch_key, messages, amount, period_key)
            select ?, ?, ?, ?, ?, ?, round(? * cost.cost_per_message, 2), ? from cost
            on conflict (batch_key) do update set messages = excluded.messages, amount = excluded.amount, period_key = excluded.period_key
            returning amount)
     update budgets b
        set amount_spent = b.amount_spent + (select amount from spend)
                           - coalesce((select amount from previous where previous.period_key = b.period_key), 0),
            lifetime_spent = b.lifetime_spent + (select amount from spend) - coalesce((select amount from previous), 0)
      where b.id = ?`,
    [batch.batchKey, batch.budgetId, batch.clientId, batch.budgetId, batch.campaignId, batch.stepNumber, batch.batchKey, messages, messages,
      batch.periodKey, batch.budgetId],
  );
}
