import { Counter, Histogram } from 'prom-client';
import { metricsRegistry } from '../domain/telemetry/registry';
import type { SkipReason } from '../domain/campaigns/workflow-contract';

/**
 * The product's business metrics, served by the worker at /metrics (README "Metrics"). They are counted
 * right after the transaction that writes the same fact to the ledger commits, so a scrape agrees with
 * campaign_deliveries, budget_spend and processed_webhook_events (test/workflows/observability.test.ts).
 */
const registers = [metricsRegistry];

const emailsSent = new Counter({
  name: 'track15_emails_sent_total', help: 'Campaign emails SendGrid accepted (delivery ledger rows settled as sent)', registers,
});
const emailsSkipped = new Counter({
  name: 'track15_emails_skipped_total', help: 'Campaign emails not sent, by the skip reason recorded in the delivery ledger',
  labelNames: ['reason'] as const, registers,
});
const emailsFailed = new Counter({
  name: 'track15_emails_failed_total', help: 'Campaign emails SendGrid refused for one recipient, by its error message',
  labelNames: ['reason'] as const, registers,
});
const budgetSpend = new Counter({
  name: 'track15_budget_spend_total', help: 'Money budgets were charged for sent campaign emails, in major units of the budget currency',
  labelNames: ['currency'] as const, registers,
});
const textsSent = new Counter({
  name: 'track15_sms_sent_total', help: 'Campaign texts Twilio accepted (delivery ledger rows settled as sent)', registers,
});
const textSegments = new Counter({
  name: 'track15_sms_segments_total', help: 'Segments of the campaign texts Twilio accepted: what carriers bill (160 GSM-7 / 70 UCS-2 characters, 153 / 67 when concatenated)', registers,
});
const textsSkipped = new Counter({
  name: 'track15_sms_skipped_total', help: 'Campaign texts not sent, by the skip reason recorded in the delivery ledger', labelNames: ['reason'] as const, registers,
});
const textsFailed = new Counter({
  name: 'track15_sms_failed_total', help: 'Campaign texts Twilio refused for one recipient, by its error', labelNames: ['reason'] as const, registers,
});
const webhookEvents = new Counter({
  name: 'track15_webhook_events_total',
  help: 'Provider webhook events by outcome: applied, duplicate (already applied), ignored (not an event the product acts on) or malformed (unreadable, skipped)',
  labelNames: ['provider', 'outcome'] as const, registers,
});
const rfmDuration = new Histogram({
  name: 'track15_rfm_recalculation_duration_seconds', help: 'RFM recalculation time in seconds, for a whole client or one donor after a gift',
  labelNames: ['scope'] as const, buckets: [0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 120], registers,
});

/** Provider messages are few and fixed, but one could quote an address: no address ever becomes a label. */
const failureLabel = (reason: string) => reason.replace(/[^\s@<>"]+@[^\s@<>"]+/g, '<address>').slice(0, 100);

export const deliveryMetrics = {
  skipped(reasons: readonly SkipReason[]): void {
    for (const reason of reasons) emailsSkipped.inc({ reason });
  },
  /** Sends whose ledger rows were settled; `budget`: what each sent message cost, when the campaign spends from one. */
  settled(outcomes: readonly { sent: readonly unknown[]; failed: readonly { reason: string }[] }[], budget: { costPerMessage: number; currency: string } | null): void {
    const sent = outcomes.reduce((total, outcome) => total + outcome.sent.length, 0);
    if (sent > 0) emailsSent.inc(sent);
    for (const { reason } of outcomes.flatMap((outcome) => outcome.failed)) emailsFailed.inc({ reason: failureLabel(reason) });
    if (budget && sent > 0 && budget.costPerMessage > 0) budgetSpend.inc({ currency: budget.currency.toUpperCase() }, sent * budget.costPerMessage);
  },
};

/** The same for texts: counted per message and per billed segment; `units` is the segments of what `outcomes` sent. */
export const smsMetrics = {
  skipped(reasons: readonly SkipReason[]): void {
    for (const reason of reasons) textsSkipped.inc({ reason });
  },
  settled(outcomes: readonly { sent: readonly unknown[]; failed: readonly { reason: string }[] }[], units: number, budget: { costPerMessage: number; currency: string } | null): void {
    const sent = outcomes.reduce((total, outcome) => total + outcome.sent.length, 0);
    if (sent > 0) textsSent.inc(sent);
    if (units > 0) textSegments.inc(units);
    // The reason starts with Twilio's error code (`Twilio 21614: …`): the code is the label.
    for (const { reason } of outcomes.flatMap((outcome) => outcome.failed)) textsFailed.inc({ reason: failureLabel(reason.split(':')[0]) });
    if (budget && units > 0 && budget.costPerMessage > 0) budgetSpend.inc({ currency: budget.currency.toUpperCase() }, units * budget.costPerMessage);
  },
};

type WebhookProvider = 'stripe' | 'sendgrid' | 'twilio';
const countEvents = (provider: WebhookProvider, outcome: 'applied' | 'duplicate' | 'ignored' | 'malformed', count: number) => {
  if (count > 0) webhookEvents.inc({ provider, outcome }, count);
};

export const webhookMetrics = {
  /** The worker applied events (the ids were new) or found them applied already (recorded ids). */
  applied(provider: WebhookProvider, outcome: { applied: number; duplicates: number }): void {
    countEvents(provider, 'applied', outcome.applied);
    countEvents(provider, 'duplicate', outcome.duplicates);
  },
  /** The API's answer to a delivery of `received` events: those ignored or malformed, and a whole redelivery Temporal refused. */
  answered(provider: WebhookProvider, received: number, answer: { duplicate: boolean; ignored: number; malformed?: number }): void {
    const malformed = answer.malformed ?? 0;
    countEvents(provider, 'ignored', answer.ignored);
    countEvents(provider, 'malformed', malformed);
    if (answer.duplicate) countEvents(provider, 'duplicate', received - answer.ignored - malformed);
  },
};

/** Times one recalculation: call the returned function when it is done. */
export function timeRfmRecalculation(scope: 'client' | 'donor'): () => void {
  const end = rfmDuration.startTimer({ scope });
  return () => { end(); };
}
