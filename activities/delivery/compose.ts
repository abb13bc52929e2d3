import { type MessageVariant, MessageVariants, type PersonalValues, substitute } from '../../domain/delivery/message-variants';
import type { RfmSegment } from '../../domain/rfm';
import { withBrandFrame } from '../../domain/delivery/brand-style';
import { withSenderFooter } from '../../domain/delivery/sender';
import { signUnsubscribeToken } from '../../domain/email/unsubscribe-token';
import { GIVE_TOKEN_TTL_MS, signGiveToken } from '../../domain/giving/give-token';
import type { MailMessage, MailRecipient } from '../email/mail-request';
import type { StepContext } from './step-context';

/** What composing needs from the deployment (the worker's ActivityDeps, the API's configuration). */
export interface ComposerDeps {
  /** EMAIL_FROM: the From of campaigns without a sender identity. */
  from: string;
  publicBaseUrl: string;
  /** HMAC secret of the signed links (unsubscribe, give). */
  unsubscribeSecret: string;
}

/** The donor a message is written for: their values fill the template, their segment picks its texts. */
export interface Reader {
  /** Null for the sample reader of a test message, whose unsubscribe link is given. */
  donorId: string | null;
  email: string | null;
  firstName: string | null;
  lastName: string | null;
  segment: RfmSegment | null;
}

/** One personalization to be: who receives it, and the values (and variant) of the donor it is written for. */
export interface Draft {
  to: string;
  name: string | null;
  values: PersonalValues;
  variant: MessageVariant;
  customArgs: Record<string, string>;
}

/**
 * How a test message is marked (test sends and rehearsals): a subject prefix a person sees at a glance, a
 * SendGrid category and custom arg a machine sees (the Event Webhook ignores events carrying it).
 */
export const TEST_MARK = { subjectPrefix: '[TEST] ', category: 'test', customArg: 'test' } as const;

/**
 * What one touchpoint says, built one way for every use: the real send (deliver-batch.ts), the manager's
 * preview, test sends and rehearsals (activities/previews/). Each reader's variant is rendered once by
 * domain/delivery/message-variants.ts, the sender's footer closes it, and the SendGrid request is built by
 * activities/email/mail-request.ts; a preview is that very request read back for its one recipient, so nothing renders twice.
 */
export class StepComposer {
  private readonly variants: MessageVariants;

  /** `nonce`: the substitution tags' nonce (6-32 lowercase letters or digits, drawn at random per request). */
  constructor(
    private readonly deps: ComposerDeps,
    private readonly scope: { campaignId: string; clientId: string },
    private readonly context: StepContext,
    nonce: string,
  ) {
    const shared = { story: context.story, campaign: { name: context.campaignName } };
    this.variants = new MessageVariants(context.step, shared, nonce);
  }

  /** A personalization for `reader`, delivered to `to` (the reader's own address in a real send, a test address otherwise). */
  draft(reader: Reader, to: string, options: { customArgs: Record<string, string>; unsubscribeUrl?: string }): Draft {
    const unsubscribeUrl = options.unsubscribeUrl ?? (reader.donorId === null ? null : this.unsubscribeUrl(reader.donorId));
    if (unsubscribeUrl === null) throw new Error('a message for no donor in particular needs its unsubscribe link given');
    const values: PersonalValues = {
      'donor.first_name': reader.firstName,
      'donor.last_name': reader.lastName,
      'donor.email': reader.email,
      'links.unsubscribe': unsubscribeUrl,
      'links.donate': this.donateUrl(reader.donorId),
    };
    return {
      to,
      name: [reader.firstName, reader.lastName].filter((part) => part?.trim()).join(' ') || null,
      values,
      variant: this.variants.variantOf(reader.segment, values),
      customArgs: options.customArgs,
    };
  }

  /**
   * The donor's own give link (api/pages/give.ts), signed for this client, campaign, step and donor so the
   * gift is attributed to the step that asked. A test message's sample reader is no donor: its link names
   * none (the nil UUID), so the page takes a gift for the organisation, unattributed.
   */
  donateUrl(donorId: string | null): string {
    return `${this.deps.publicBaseUrl}/give/${signGiveToken({
      clientId: this.scope.clientId, campaignId: this.scope.campaignId, stepNumber: this.context.step.step_number,
      donorId: donorId ?? NO_DONOR, expiresAt: Date.now() + GIVE_TOKEN_TTL_MS,
    }, this.deps.unsubscribeSecret)}`;
  }

  /** The donor's signed one-click unsubscribe link (RFC 8058), for this campaign. */
  unsubscribeUrl(donorId: string): string {
    return `${this.deps.publicBaseUrl}/unsubscribe/${signUnsubscribeToken(
      { clientId: this.scope.clientId, donorId, campaignId: this.scope.campaignId, issuedAt: Date.now() },
      this.deps.unsubscribeSecret,
    )}`;
  }

  /**
   * The mail/send message for drafts of one variant (all of `drafts` must share `drafts[0].variant`), in
   * the brand's frame when the campaign has brand guidelines (domain/delivery/brand-style.ts).
   * `test` marks it as a test message (TEST_MARK): prefixed subject, `test` category.
   */
  message(drafts: Draft[], envelope: { customArgs: Record<string, string>; asmGroupId: number | null; test?: boolean }): MailMessage {
    // Campaigns activated before clients had sender identities go out from the deployment's EMAIL_FROM.
    const { sender } = this.context;
    const from = sender.from_email ? { email: sender.from_email, name: sender.from_name } : { email: this.deps.from, name: null };
    const body = drafts[0].variant.message;
    const signed = sender.postal_address ? withSenderFooter(body, { fromName: sender.from_name, postalAddress: sender.postal_address }) : body;
    const footed = this.context.brand ? withBrandFrame(signed, this.context.brand) : signed;
    const subject = envelope.test ? `${TEST_MARK.subjectPrefix}${footed.subject}` : footed.subject;
    return {
      from,
      replyTo: sender.reply_to,
      subject,
      fallbackSubject: envelope.test ? `${TEST_MARK.subjectPrefix}${this.context.campaignName}` : this.context.campaignName,
      html: footed.html,
      text: footed.text,
      customArgs: envelope.customArgs,
      headers: { 'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click' },
      asmGroupId: envelope.asmGroupId,
      categories: envelope.test ? [TEST_MARK.category] : [],
      recipients: drafts.map((draft): MailRecipient => {
        const substitutions = draft.variant.substitutionsFor(draft.values);
        return {
          email: draft.to,
          name: draft.name,
          subject: substitute(subject, substitutions),
          substitutions,
          customArgs: draft.customArgs,
          headers: { 'List-Unsubscribe': `<${draft.values['links.unsubscribe']}>` },
        };
      }),
    };
  }
}

const NO_DONOR = '00000000-0000-0000-0000-000000000000';
