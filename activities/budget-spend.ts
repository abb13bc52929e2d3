import type { EntityManager } from '@mikro-orm/postgresql';
import { alertsToFire } from '../domain/budget';

export interface BudgetReservation {
  budgetId: string;
  campaignId: string;
  clientId: string;
  stepNumber: number;
  batchKey: string;
  /** How many of the wanted messages the budget allows (all of them without a hard cap). */
  affordable: number;
  /** Nothing more can be sent from this budget after this batch. */
  exhausted: boolean;
  /** What one message costs, in major units of `currency` (budgets.cost_per_message). */
  costPerMessage: number;
  currency: string;
}

interface ReserveInput {
  budgetId: string; campaignId: string; clientId: string; stepNumber: number; shard: number; afterDonorId: string | null;
  /** Messages this batch would like to send now. */
  wanted: number;
  /** Messages an earlier attempt of this batch already sent: they stay paid for. */
  alreadySent: number;
}

/**
 * Reserves a batch's cost before it is sent, under a row lock on the budget so campaigns sharing a
 * budget cannot overspend it together. The spend ledger row is keyed by the batch, so a retried batch
 * replaces its own reservation instead of adding a second one; the replacement still covers what the
 * earlier attempt sent, or another lane could spend that money twice before this batch settles.
 */
export async function reserveBudget(em: EntityManager, input: ReserveInput): Promise<BudgetReservation> {
  const batchKey = `${input.campaignId}:${input.stepNumber}:${input.shard}:${input.afterDonorId ?? 'first'}`;
  const [budget] = await em.execute<{ headroom: string; cost: string; hard_cap: boolean; currency: string }[]>(
    `select b.amount - b.amount_spent + coalesce(s.amount, 0) as headroom, b.cost_per_message as cost, b.hard_cap, b.currency
       from budgets b left join budget_spend s on s.batch_key = ?
      where b.id = ? for update of b`,
    [batchKey, input.budgetId],
  );
  const cost = Number(budget.cost);
  const capped = budget.hard_cap && cost > 0;
  const headroom = Math.max(Number(budget.headroom) - input.alreadySent * cost, 0);
  const affordable = capped ? Math.min(input.wanted, Math.floor(headroom / cost + 1e-9)) : input.wanted;
  await recordSpend(em, { ...input, batchKey }, input.alreadySent + affordable);
  const exhausted = capped && (affordable < input.wanted || headroom - affordable * cost < cost);
  const { budgetId, campaignId, clientId, stepNumber } = input;
  return { budgetId, campaignId, clientId, stepNumber, batchKey, affordable, exhausted, costPerMessage: cost, currency: budget.currency.trim() };
}

/**
 * Takes the budget's row lock first, as the claim does, so a settling lane and a claiming lane never
 * wait on each other's campaign and budget rows in opposite orders (a deadlock).
 */
export async function lockBudget(em: EntityManager, budgetId: string): Promise<void> {
  await em.execute('select 1 from budgets where id = ? for update', [budgetId]);
}

/** Corrects the reservation to what was actually sent, then fires each alert threshold the spend crossed, once. */
export async function settleBudget(em: EntityManager, reservation: BudgetReservation, sent: number): Promise<number[]> {
  await recordSpend(em, reservation, sent);
  // A hard-capped budget that cannot pay for one more message is EXHAUSTED (issue 15 item 6), so the API
  // and the summary say so; a later raise of its amount is the caller's to pair with status ACTIVE.
  await em.execute(
    `update budgets set status = 'EXHAUSTED'
      where id = ? and status = 'ACTIVE' and hard_cap and cost_per_message > 0 and amount - amount_spent < cost_per_message`,
    [reservation.budgetId]);
  const [budget] = await em.execute<{ percentage_spent: string; alerts: { threshold_percent: number }[]; fired: number[] }[]>(
    `select b.percentage_spent, b.alerts,
            coalesce(array_agg(e.threshold_percent::float8) filter (where e.threshold_percent is not null), '{}') as fired
       from budgets b left join budget_alert_events e on e.budget_id = b.id
      where b.id = ? group by b.id`,
    [reservation.budgetId],
  );
  const thresholds = (budget.alerts ?? []).map((alert) => Number(alert.threshold_percent));
  const due = alertsToFire(thresholds, budget.fired.map(Number), Number(budget.percentage_spent));
  for (const threshold of due) {
    await em.execute(
      `insert into budget_alert_events (budget_id, client_id, threshold_percent) values (?, ?, ?) on conflict do nothing`,
      [reservation.budgetId, reservation.clientId, threshold],
    );
  }
  return due;
}

type SpendKey = Pick<BudgetReservation, 'budgetId' | 'campaignId' | 'clientId' | 'stepNumber' | 'batchKey'>;

async function recordSpend(em: EntityManager, batch: SpendKey, messages: number): Promise<void> {
  await em.execute(
    `with previous as (select amount from budget_spend where batch_key = ?),
          cost as (select cost_per_message from budgets where id = ?),
          spend as (
            insert into budget_spend (client_id, budget_id, campaign_id, step_number, batch_key, messages, amount)
            select ?, ?, ?, ?, ?, ?, round(? * cost.cost_per_message, 2) from cost
            on conflict (batch_key) do update set messages = excluded.messages, amount = excluded.amount
            returning amount)
     update budgets set amount_spent = amount_spent + (select amount from spend) - coalesce((select amount from previous), 0)
      where id = ?`,
    [batch.batchKey, batch.budgetId, batch.clientId, batch.budgetId, batch.campaignId, batch.stepNumber, batch.batchKey, messages, messages, batch.budgetId],
  );
}
