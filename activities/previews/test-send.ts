import { ApplicationFailure, Context } from '@temporalio/activity';
import { withClient } from '../../domain/db/tenancy';
import type { ActivityDeps } from '..';
import { StepComposer, TEST_MARK } from '../delivery/compose';
import { buildMailRequest } from '../email/mail-request';
import { providerFailure, rejectedRecipient, sendMail } from '../email/sendgrid';
import { type ReaderChoice, loadReader } from './reader';
import { type StepScope, stepContextOrNull, tagNonce } from './preview';

/** At most this many test addresses per test send or rehearsal. */
export const MAX_TEST_ADDRESSES = 10;

export interface TestSendInput extends StepScope {
  /** The test addresses, and only they, receive the message. */
  addresses: string[];
  /** Whom the message is written for. */
  reader: ReaderChoice;
  /** The workflow the message belongs to (a test send or a rehearsal), carried in its custom args. */
  testRun: string;
}

/** What a caller asks for; the workflow adds its own id as `testRun`. */
export type TestSendRequest = Omit<TestSendInput, 'testRun'>;

export interface TestSendResult {
  stepNumber: number;
  /** The subject as sent (with the [TEST] prefix), for the reader. */
  subject: string;
  /** SendGrid's X-Message-Id of the request; null when every address was refused. */
  messageId: string | null;
  sentTo: string[];
  refused: { address: string; reason: string }[];
}

/**
 * The link a test message carries where the donor's one-click unsubscribe link would be: it unsubscribes
 * nobody (the page refuses it as an invalid link), so a tester clicking it cannot take the donor the
 * message was written for off the list.
 */
export function testUnsubscribeUrl(publicBaseUrl: string): string {
  return `${publicBaseUrl}/unsubscribe/test-message`;
}

/**
 * Sends one step to test addresses only, rendered for the chosen reader through the real send's composer,
 * marked as a test (TEST_MARK: "[TEST] " subject prefix, category and custom arg `test`). Deliberately
 * outside everything that counts a campaign's mail: no ledger row, no email_sends row, no stats, no budget
 * spend, no frequency cap, and no suppression or unsubscribe check of the donor it is written for (the
 * addresses are the staff's, not the donor's). It goes out without the client's unsubscribe group, so a
 * tester who once opted out of the client's marketing still gets the test, and with none of the custom args
 * (campaign_id, client_id, donor_id) that the Event Webhook attributes events by: its opens and clicks are
 * ignored (api/services/provider-events.ts), never counted in a campaign's stats or analytics.
 * 429/5xx are retried by Temporal; a 400 naming one address refuses that address and sends the others.
 */
export async function sendTestMessage(deps: ActivityDeps, input: TestSendInput): Promise<TestSendResult> {
  const prepared = await withClient(deps.orm.em, input.clientId, async (em) => ({
    context: await stepContextOrNull(em, input),
    reader: await loadReader(em, input.campaignId, input.reader),
  }));
  if (!prepared.context) throw ApplicationFailure.create({ message: `campaign ${input.campaignId} has no step ${input.stepNumber}`, type: 'CampaignNotFound', nonRetryable: true });
  if (!prepared.reader) throw ApplicationFailure.create({ message: 'the donor the test is written for is gone', type: 'DonorNotFound', nonRetryable: true });
  const { reader } = prepared;
  const composer = new StepComposer(deps, input, prepared.context, tagNonce());
  const unsubscribeUrl = testUnsubscribeUrl(deps.publicBaseUrl);
  const envelope = {
    customArgs: { [TEST_MARK.customArg]: 'true', test_run: input.testRun, test_campaign_id: input.campaignId, test_step_number: String(input.stepNumber) },
    asmGroupId: null,
    test: true,
  };

  const refused: TestSendResult['refused'] = [];
  let remaining = [...new Set(input.addresses.map((address) => address.trim()))];
  let subject = '';
  while (remaining.length > 0) {
    const message = composer.message(remaining.map((address) => composer.draft(reader, address, { customArgs: {}, unsubscribeUrl })), envelope);
    subject = message.recipients[0].subject;
    const built = buildMailRequest(message);
    for (const { index, reason } of built.refused) refused.push({ address: remaining[index], reason });
    const included = built.included.map((index) => remaining[index]);
    if (!built.body) break;
    try {
      const [response] = await sendMail(deps.sendgrid, Context.current().cancellationSignal, built.body);
      return { stepNumber: input.stepNumber, subject, messageId: String(response.headers['x-message-id'] ?? '') || null, sentTo: included, refused };
    } catch (error) {
      const rejected = rejectedRecipient(error);
      if (!rejected || !included[rejected.index]) throw providerFailure(error);
      refused.push({ address: included[rejected.index], reason: rejected.reason });
      remaining = included.filter((_, index) => index !== rejected.index);
    }
  }
  return { stepNumber: input.stepNumber, subject, messageId: null, sentTo: [], refused };
}
