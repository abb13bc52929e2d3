import type { MikroORM } from '@mikro-orm/postgresql';
import type Stripe from 'stripe';
import type { OutboundPolicy } from '../domain/outbound-url';
import { asOperator, withClient } from '../domain/db/tenancy';
import type { CampaignStage, CampaignWorkflowInput, LastFailure, TouchpointPlanRequest } from '../domain/campaigns/workflow-contract';
import { loadCampaignPlan, planTouchpoint, recordCampaignFailure, recordCampaignStage, recordCampaignStop } from './campaigns/campaign-plan';
import { completeCampaign } from './campaigns/campaign-completion';
import { failFastOnBadData } from './data-failures';
import { type AlertChannel, type AlertRetryPolicy, type BudgetAlertScope, deliverBudgetAlert, giveUpBudgetAlert, prepareBudgetAlert } from './budget-alerts/delivery';
import { createDeliverBatch } from './delivery/deliver-batch';
import { type GiftEventInput, recordGiftEvent } from './giving/gift-events';
import { type ReceiptSendInput, sendReceipt } from './giving/receipts';
import { type AbStepScope, decideAbTest, planAbTest } from './delivery/ab-decision';
import { type RehearsalPlanInput, planRehearsal } from './previews/rehearsal';
import { type TestSendInput, sendTestMessage } from './previews/test-send';
import { webhookMetrics } from './metrics';
import { lapseClientDonors } from './journeys/lapse-sweep';
import { recalculateRfm } from './rfm-recalculation';
import type { SendGrid } from './email/sendgrid';
import type { Twilio } from './sms/twilio';
import { type SendGridEventInput, applySendGridEvents, attributeSendGridEvents } from './email/sendgrid-events';
import { type StripeEventInput, applyStripeEvent } from './payments/stripe-events';
import { applyActivationPayment } from './activation/activation-payments';
import { expireActivationToken, loadActivationPlan, sendActivationReminder } from './activation/client-activation';
import { type SuppressionSyncInput, syncSuppression } from './email/suppression-sync';
import { buyersToNotify, releaseEventHolds, ticketsToRefund } from './tickets/event-cancellation';
import { releaseTicketOrder } from './tickets/order-state';
import { refundLatePayment, refundTicket } from './tickets/refunds';
import { type TicketMailInput, sendTicketMail } from './tickets/ticket-mail';
import { type TicketStripeEventInput, applyTicketStripeEvent } from './tickets/ticket-stripe-events';

export interface ActivityDeps {
  orm: MikroORM;
  sendgrid: SendGrid;
  /** The `twilio` SDK, for SMS steps (activities/sms/twilio.ts). */
  twilio: Twilio;
  from: string;
  publicBaseUrl: string;
  unsubscribeSecret: string;
  /** Refunds of tickets (issue 17); Stripe, stripe-mock, or a test's fault-injecting proxy. */
  stripe: Stripe;
  /** Recipients per delivery batch (≤ 1,000); smaller in tests to exercise paging. */
  batchSize?: number;
  /** How budget alerts are retried (activities/budget-alerts/delivery.ts); DEFAULT_ALERT_RETRY when absent, shorter in tests. */
  budgetAlertRetry?: AlertRetryPolicy;
  /** The wall clock the SMS hours are judged on (epoch ms); Date.now unless a test moves it to a DST change. */
  clock?: () => number;
  /** How long a refund of an unknown intent waits for its payment (payments/stripe-events.ts); UNKNOWN_REFUND_WAITS_MS when absent, shorter in tests. */
  unknownRefundWaitsMs?: readonly number[];
  /** Where client webhooks may go (OUTBOUND_WEBHOOKS_ALLOW_PRIVATE); public https only when absent. */
  outbound?: OutboundPolicy;
}

/**
 * The activities the campaign workflows call, bound to their dependencies (samples-typescript style).
 * A call the database refuses for its data fails once, non-retryable (data-failures.ts).
 */
export function createActivities(deps: ActivityDeps) {
  const inClient = <T>(clientId: string, work: Parameters<typeof withClient<T>>[2]) => withClient(deps.orm.em, clientId, work);
  return failFastOnBadData({
    loadCampaignPlan: (input: CampaignWorkflowInput) => inClient(input.clientId, (em) => loadCampaignPlan(em, input)),
    planTouchpoint: (input: TouchpointPlanRequest) => inClient(input.clientId, (em) => planTouchpoint(em, input)),
    recordCampaignStage: (input: CampaignWorkflowInput & { stage: Exclude<CampaignStage, 'completed'>; reason?: string }) =>
      inClient(input.clientId, (em) => recordCampaignStage(em, input)),
    recordCampaignStop: (input: CampaignWorkflowInput & { reason: string }) => inClient(input.clientId, (em) => recordCampaignStop(em, input)),
    recordCampaignFailure: (input: CampaignWorkflowInput & { failure: LastFailure }) =>
      inClient(input.clientId, (em) => recordCampaignFailure(em, input)),
    completeCampaign: async (input: CampaignWorkflowInput & { stopReason: string | null }) => {
      await inClient(input.clientId, (em) => completeCampaign(em, input));
    },
    deliverBatch: createDeliverBatch(deps),
    planAbTest: (input: AbStepScope) => inClient(input.clientId, (em) => planAbTest(em, input)),
    decideAbTest: (input: AbStepScope) => inClient(input.clientId, (em) => decideAbTest(em, input)),
    prepareBudgetAlert: (input: BudgetAlertScope) => prepareBudgetAlert(deps, input),
    deliverBudgetAlert: (input: BudgetAlertScope & { channel: AlertChannel }) => deliverBudgetAlert(deps, input),
    giveUpBudgetAlert: (input: BudgetAlertScope & { channel: AlertChannel }) => giveUpBudgetAlert(deps, input),
    sendTestMessage: (input: TestSendInput) => sendTestMessage(deps, input),
    planRehearsal: (input: RehearsalPlanInput) => inClient(input.clientId, (em) => planRehearsal(em, input)),
    applyStripeEvent: async (event: StripeEventInput, wait?: number) => {
      const outcome = await applyStripeEvent(deps, event, wait);
      if (outcome.retryInMs === undefined) webhookMetrics.applied('stripe', { applied: Number(outcome.applied), duplicates: Number(!outcome.applied) });
      return outcome;
    },
    applyActivationPayment: async (event: StripeEventInput) => {
      const outcome = await applyActivationPayment(deps, event);
      webhookMetrics.applied('stripe', { applied: Number(outcome.applied), duplicates: Number(!outcome.applied) });
      return outcome;
    },
    loadActivationPlan: (input: { clientId: string }) => inClient(input.clientId, (em) => loadActivationPlan(em, input.clientId)),
    sendActivationReminder: (input: { clientId: string }) => sendActivationReminder(deps, input.clientId),
    expireActivationToken: (input: { clientId: string }) => inClient(input.clientId, (em) => expireActivationToken(em, input.clientId)),
    recordGiftEvent: async (event: GiftEventInput) => {
      const outcome = await recordGiftEvent(deps, event);
      webhookMetrics.applied('stripe', { applied: Number(outcome.applied), duplicates: Number(!outcome.applied) });
      return outcome;
    },
    sendReceipt: (input: ReceiptSendInput) => sendReceipt(deps, input),
    applySendGridEvents: async (input: { clientId: string; events: SendGridEventInput[] }) => {
      const outcome = await applySendGridEvents(deps, input.clientId, input.events);
      webhookMetrics.applied('sendgrid', outcome);
      return outcome;
    },
    attributeSendGridEvents: (events: SendGridEventInput[]) => attributeSendGridEvents(deps, events),
    syncSuppression: (input: SuppressionSyncInput) => syncSuppression(deps, input),
    applyTicketStripeEvent: async (event: TicketStripeEventInput) => {
      const outcome = await applyTicketStripeEvent(deps, event);
      webhookMetrics.applied('stripe', { applied: Number(outcome.applied), duplicates: Number(!outcome.applied && outcome.ignored === null) });
      return outcome;
    },
    releaseTicketOrder: (input: { clientId: string; orderId: string }) => inClient(input.clientId, (em) => releaseTicketOrder(em, input.orderId, 'expired')),
    refundLatePayment: (input: { clientId: string; orderId: string }) => refundLatePayment(deps, input.clientId, input.orderId),
    sendTicketMail: (input: TicketMailInput) => sendTicketMail(deps, input),
    releaseEventHolds: (input: { clientId: string; eventId: string }) => inClient(input.clientId, (em) => releaseEventHolds(em, input.eventId)),
    ticketsToRefund: (input: { clientId: string; eventId: string }) => inClient(input.clientId, (em) => ticketsToRefund(em, input.eventId)),
    /** An event's cancellation refunds tickets already checked in too. */
    refundCancelledTicket: async (input: { clientId: string; ticketId: string }) => (await refundTicket(deps, input.clientId, input.ticketId, { checkedIn: true })).kind,
    buyersToNotify: (input: { clientId: string; eventId: string }) => inClient(input.clientId, (em) => buyersToNotify(em, input.eventId)),
    listClientIds: () => asOperator(deps.orm.em, async (em) =>
      (await em.execute<{ id: string }[]>('select id from clients order by id')).map((row) => row.id)),
    /** How many of the client's donors changed (the nightly workflow's tally, a number in its histories). */
    recalculateClientRfm: (input: { clientId: string; asOf: string }) =>
      inClient(input.clientId, async (em) => (await recalculateRfm(em, input.clientId, new Date(input.asOf))).changed),
    /** How many of the client's donors lapsed (the daily journey sweep's tally). */
    lapseClientDonors: (input: { clientId: string; asOf: string }) => inClient(input.clientId, (em) => lapseClientDonors(em, input.clientId, new Date(input.asOf))),
  });
}

export type CampaignActivities = ReturnType<typeof createActivities>;
