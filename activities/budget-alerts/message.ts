import Handlebars from 'handlebars';
import type { MailMessage } from '../email/mail-request';

/** A fired alert as its messages tell it; amounts are decimal strings in major units of `currency`. */
export interface AlertFacts {
  id: string;
  clientId: string;
  budgetId: string;
  budgetName: string;
  currency: string;
  /** The budget's amount (per period for a periodic budget). */
  amount: string;
  period: string;
  periodKey: string;
  thresholdPercent: string;
  percentageSpent: string | null;
  amountSpent: string | null;
  /** ISO time the threshold was crossed. */
  firedAt: string;
}

/**
 * The webhook's JSON body (event type `budget.alert`), the same bytes on every attempt so a receiver can
 * dedupe on `id` (also sent as Track15-Event-Id). `created` is the firing time in Unix seconds.
 */
export function alertWebhookBody(alert: AlertFacts): string {
  return JSON.stringify({
    id: alert.id,
    type: 'budget.alert',
    created: Math.floor(new Date(alert.firedAt).getTime() / 1000),
    client_id: alert.clientId,
    data: {
      budget: { id: alert.budgetId, name: alert.budgetName, currency: alert.currency, amount: alert.amount, period: alert.period, period_key: alert.periodKey },
      threshold_percent: alert.thresholdPercent,
      percentage_spent: alert.percentageSpent,
      amount_spent: alert.amountSpent,
    },
  });
}

/** The SendGrid custom arg a sent alert email is found by again (the Email Activity API) after a lost answer. */
export function alertSendKey(alertId: string): string {
  return `budget-alert-${alertId}`;
}

/**
 * The transactional email of an alert, to the client's alert address: no unsubscribe group (it is the
 * client's own operational mail, not marketing), category `budget-alert`.
 */
export function alertEmail(alert: AlertFacts, to: string, from: string): MailMessage {
  const subject = `Budget "${alert.budgetName}" has reached ${Number(alert.thresholdPercent)}%`;
  const lines = [
    `The budget "${alert.budgetName}" has reached its ${Number(alert.thresholdPercent)}% alert.`,
    `Spent: ${alert.amountSpent ?? '0'} of ${alert.amount} ${alert.currency.toUpperCase()} (${alert.percentageSpent ?? '0'}%)${alert.period === 'LIFETIME' ? '' : `, period ${alert.periodKey.split(':')[1] ?? alert.periodKey}`}.`,
    `Alert ${alert.id}, fired at ${alert.firedAt}.`,
  ];
  return {
    from: { email: from, name: 'Track15 budgets' },
    replyTo: null,
    subject,
    fallbackSubject: subject,
    html: lines.map((line) => `<p>${Handlebars.escapeExpression(line)}</p>`).join('\n'),
    text: lines.join('\n\n'),
    customArgs: { budget_alert_id: alert.id, send_key: alertSendKey(alert.id) },
    headers: {},
    asmGroupId: null,
    categories: ['budget-alert'],
    recipients: [{ email: to, name: null, subject, substitutions: {}, customArgs: {}, headers: {} }],
  };
}
