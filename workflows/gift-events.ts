import { proxyActivities } from '@temporalio/workflow';
import type { CampaignActivities } from '../activities';
import type { GiftEventInput } from '../activities/giving/gift-events';

const { recordGiftEvent } = proxyActivities<CampaignActivities>({
  startToCloseTimeout: '30 seconds',
  // Retries are for outages (the database down); an event the product does not act on is recorded as ignored at once.
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 30 },
});

const { sendReceipt } = proxyActivities<CampaignActivities>({
  startToCloseTimeout: '1 minute',
  // SendGrid's 429/5xx are retried with backoff (honouring Retry-After) for about a day; the receipt row
  // is the ledger, so a retry never sends twice.
  retry: { initialInterval: '5 seconds', backoffCoefficient: 2, maximumInterval: '10 minutes', maximumAttempts: 160 },
});

/**
 * One Stripe event of purpose `gift` (api/services/giving/gift-events.ts): the gift is recorded once,
 * then each receipt it issued is emailed once.
 */
export async function giftEventWorkflow(event: GiftEventInput) {
  const outcome = await recordGiftEvent(event);
  const receipts = await Promise.all(outcome.receiptIds.map((receiptId) => sendReceipt({ clientId: event.attribution.clientId, receiptId })));
  return { ...outcome, receipts };
}
