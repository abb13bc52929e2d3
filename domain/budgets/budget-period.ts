import { DEFAULT_DAY_SECONDS } from '../campaigns/schedule';

/**
 * Budget periods (seed 004's `budgets.period`): the amount is what may be spent in each period, and the
 * spend figures start again at each new one. Periods are UTC calendar units: a day, an ISO 8601 week
 * (Monday to Sunday), a month, a quarter, a year; LIFETIME never renews.
 *
 * A rehearsal (a campaign whose day is not 86,400 s) spends on its own scaled clock, as its schedule runs
 * (domain/campaigns/schedule.ts): from `anchorMs` (its activation) one of its days stands for 24 hours, so a DAILY
 * budget renews every `dayLengthSeconds` of real time. Campaigns at real pace read the real UTC calendar.
 */
export type BudgetPeriod = 'DAILY' | 'WEEKLY' | 'MONTHLY' | 'QUARTERLY' | 'YEARLY' | 'LIFETIME';

export const LIFETIME_PERIOD_KEY = 'LIFETIME';

/** The clock a campaign spends on: real pace (86,400 s days), or a rehearsal's days from its activation. */
export interface SpendClock { dayLengthSeconds: number; anchorMs: number }

export interface PeriodWindow {
  /** Names the period, e.g. `DAILY:2026-11-30`, `WEEKLY:2026-W49`, `MONTHLY:2026-11`, `QUARTERLY:2026-Q4`, `YEARLY:2026`, `LIFETIME`. */
  key: string;
  /** Real epoch milliseconds the next period starts (rounded up on a rehearsal's clock); null for LIFETIME. */
  nextStartsAt: number | null;
}

/** The period of `period` that `nowMs` (real epoch milliseconds) falls in, on the campaign's clock. */
export function periodAt(period: BudgetPeriod, nowMs: number, clock: SpendClock): PeriodWindow {
  if (period === 'LIFETIME') return { key: LIFETIME_PERIOD_KEY, nextStartsAt: null };
  if (!(clock.dayLengthSeconds > 0)) throw new RangeError(`dayLengthSeconds must be positive, got ${clock.dayLengthSeconds}`);
  const scale = clock.dayLengthSeconds / DEFAULT_DAY_SECONDS;
  const virtual = scale === 1 ? nowMs : clock.anchorMs + (nowMs - clock.anchorMs) / scale;
  const { key, next } = calendarPeriod(period, new Date(virtual));
  const nextStartsAt = scale === 1 ? next : clock.anchorMs + Math.ceil((next - clock.anchorMs) * scale);
  return { key: `${period}:${key}`, nextStartsAt };
}

/**
 * Whether spend at `candidate` should renew a budget whose figures are for `stored`: a different kind of
 * period (the budget's period was changed) or a later one. An earlier one (a rehearsal's clock behind
 * another campaign's) counts in the stored period.
 */
export function isLaterPeriod(candidate: string, stored: string): boolean {
  const kind = (key: string) => key.split(':')[0];
  return candidate !== stored && (kind(candidate) !== kind(stored) || candidate > stored);
}

function calendarPeriod(period: Exclude<BudgetPeriod, 'LIFETIME'>, at: Date): { key: string; next: number } {
  const y = at.getUTCFullYear();
  const m = at.getUTCMonth();
  const d = at.getUTCDate();
  const pad = (n: number, width = 2) => String(n).padStart(width, '0');
  switch (period) {
    case 'DAILY':
      return { key: `${y}-${pad(m + 1)}-${pad(d)}`, next: Date.UTC(y, m, d + 1) };
    case 'WEEKLY': {
      const weekday = (at.getUTCDay() + 6) % 7; // Monday 0
      const monday = Date.UTC(y, m, d - weekday);
      // The ISO week-year is the year of the week's Thursday.
      const thursday = new Date(monday + 3 * 86_400_000);
      const weekYear = thursday.getUTCFullYear();
      const week = Math.floor((thursday.getTime() - Date.UTC(weekYear, 0, 1)) / (7 * 86_400_000)) + 1;
      return { key: `${weekYear}-W${pad(week)}`, next: monday + 7 * 86_400_000 };
    }
    case 'MONTHLY':
      return { key: `${y}-${pad(m + 1)}`, next: Date.UTC(y, m + 1, 1) };
    case 'QUARTERLY': {
      const quarter = Math.floor(m / 3);
      return { key: `${y}-Q${quarter + 1}`, next: Date.UTC(y, quarter * 3 + 3, 1) };
    }
    case 'YEARLY':
      return { key: `${y}`, next: Date.UTC(y + 1, 0, 1) };
  }
}
