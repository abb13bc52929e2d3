import { ApplicationFailure } from '@temporalio/activity';
import { withVariant } from '../../domain/experiments/ab-test';
import { renderSmsText } from '../../domain/delivery/message-template';
import type { RfmSegment } from '../../domain/rfm';
import { TWILIO_STATUS_PATH, smsSegments } from '../../domain/sms';
import type { ActivityDeps } from '..';
import { answeredByTwilio, refusedRecipient, sendText } from '../sms/twilio';
import { StepComposer } from './compose';
import type { LaneFence, Lane } from './lane-fence';
import type { ProviderOutcome, SentText } from './ledger-settlement';
import type { StepContext } from './step-context';

/** The donor a text is written for. */
export interface TextReader {
  donorId: string; phone: string; firstName: string | null; lastName: string | null; email: string | null; segment: RfmSegment | null;
}

/**
 * A step's text for `reader` (domain/message-template.ts renderSmsText; in A/B variant `abVariant` when the
 * step has a test), with the donor's own give and unsubscribe links signed by `composer`: what a send
 * texts and what a preview shows, rendered one way.
 */
export function stepText(composer: StepComposer, context: StepContext, reader: Omit<TextReader, 'phone'>, abVariant?: number): string {
  const variant = abVariant === undefined ? undefined : context.abTest?.variants[abVariant];
  const step = variant ? withVariant(context.step, variant) : context.step;
  return renderSmsText(step, reader.segment, {
    donor: { first_name: reader.firstName, last_name: reader.lastName, email: reader.email },
    story: context.story,
    campaign: { name: context.campaignName },
    links: { donate: composer.donateUrl(reader.donorId), unsubscribe: composer.unsubscribeUrl(reader.donorId) },
    sender: context.sender.from_name ?? context.campaignName,
  });
}

/** What sending a page's texts came to: the outcome to settle, the error that stopped it, rows whose answer never came. */
export interface TextsSent { outcome: ProviderOutcome; failure: unknown; unanswered: string[] }

/**
 * The SMS adapter of the delivery core (DESIGN.md §8, a channel seam): deliver-batch.ts claims, fences,
 * settles and spends for every channel; this writes each donor's text (domain/delivery/message-template.ts
 * renderSmsText, the A/B variant and segment texts as for email) and sends it through the `twilio` SDK,
 * one request per text as Twilio's Messages API takes them, each under the fence's opt-out check.
 */
export class SmsSender {
  /** Signs each donor's give and unsubscribe links, as for email. */
  private readonly composer: StepComposer;
  private readonly from: string;

  constructor(
    private readonly deps: ActivityDeps,
    private readonly lane: Lane,
    private readonly context: StepContext,
    private readonly sendKey: string,
  ) {
    if (!context.smsFromNumber) {
      throw ApplicationFailure.create({
        message: `client ${lane.clientId} has no SMS number (sms_from_number): its SMS step ${lane.stepNumber} cannot be sent`,
        type: 'SmsSenderMissing', nonRetryable: true,
      });
    }
    this.from = context.smsFromNumber;
    this.composer = new StepComposer(deps, lane, context, sendKey.replace(/-/g, '').slice(0, 12));
  }

  /** The text `reader` gets (in A/B variant `abVariant` when the step has a test), with its billed segments. */
  write(reader: TextReader, abVariant: number | undefined): SentText {
    const body = stepText(this.composer, this.context, reader, abVariant);
    return { to: reader.phone, from: this.from, body, segments: smsSegments(body).segments };
  }

  /**
   * Sends the claimed texts one by one. A recipient Twilio refuses fails alone; a number that opted out
   * since the claim is skipped (`sms_opted_out`); 429, 5xx or no answer stops the page (the caller
   * releases what is left and Temporal retries), the unanswered text staying pending for Twilio's record.
   */
  async send(texts: { donorId: string; text: SentText }[], fence: LaneFence): Promise<TextsSent> {
    const outcome: Required<ProviderOutcome> = { sent: [], failed: [], skipped: [] };
    for (const { donorId, text } of texts) {
      const result = await fence.textUnlessOptedOut({ lane: this.lane, channel: 'sms', sendKey: this.sendKey, donorId }, text.to, () => sendText(this.deps.twilio, { ...text, statusCallback: `${this.deps.publicBaseUrl}${TWILIO_STATUS_PATH}` }));
      if ('optedOut' in result) outcome.skipped.push({ donorId, reason: 'sms_opted_out' });
      else if ('sent' in result) outcome.sent.push({ donorId, email: null, messageId: result.sent.sid, text });
      else {
        const refused = refusedRecipient(result.error);
        if (refused) {
          outcome.failed.push({ donorId, reason: refused });
          continue;
        }
        return { outcome, failure: result.error, unanswered: answeredByTwilio(result.error) ? [] : [donorId] };
      }
    }
    return { outcome, failure: null, unanswered: [] };
  }
}
