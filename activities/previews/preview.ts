import { randomBytes } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import { ApplicationFailure } from '@temporalio/activity';
import type { RenderedMessage } from '../../domain/delivery/message-template';
import { type ComposerDeps, type Reader, StepComposer } from '../delivery/compose';
import { type StepContext, loadStepContext } from '../delivery/step-context';
import { buildMailRequest, substitutedFor } from '../email/mail-request';
import { channelsOf } from '../../domain/delivery/channels';
import { type SmsSegments, smsSegments } from '../../domain/sms';
import { stepText } from '../delivery/sms-sender';

export interface StepScope { clientId: string; campaignId: string; stepNumber: number }

/** A step as one donor would receive it. */
export interface StepPreview extends RenderedMessage {
  to: string;
  from: { email: string; name: string | null };
  replyTo: string | null;
  /** Every header the message carries (the shared ones and the recipient's own, e.g. List-Unsubscribe). */
  headers: Record<string, string>;
  links: { donate: string; unsubscribe: string };
  /** The text of a step sent by SMS (or by email and SMS), as the donor would get it; null for an email step. */
  sms: TextPreview | null;
}

/** A step's text for one donor: from the client's number (null without one) to the donor's phone (null without one). */
export interface TextPreview extends SmsSegments { from: string | null; to: string | null; body: string }

/** A random substitution-tag nonce, as each real send attempt draws one. */
export function tagNonce(): string {
  return randomBytes(6).toString('hex');
}

/**
 * The step's context, or null when the campaign has no such step (a standard campaign, steps not yet
 * written): loadStepContext's non-retryable failure is for activities, not for a caller who may ask.
 */
export async function stepContextOrNull(em: EntityManager, scope: Omit<StepScope, 'clientId'>): Promise<StepContext | null> {
  try {
    return await loadStepContext(em, scope);
  } catch (error) {
    if (error instanceof ApplicationFailure && error.type === 'CampaignNotFound') return null;
    throw error;
  }
}

/**
 * Renders a step for one reader through the real send's path: the composer (variant, sender footer) builds
 * the mail/send request deliver-batch.ts would make for this donor, and the answer is that request read
 * back as SendGrid substitutes it (subject, HTML and text, with the give and unsubscribe links in). The
 * unsubscribe link is signed afresh, so only its issue time differs from a send's.
 */
export function previewStep(deps: ComposerDeps, scope: StepScope, context: StepContext, reader: Reader & { donorId: string; email: string; phone: string | null }): StepPreview {
  const composer = new StepComposer(deps, scope, context, tagNonce());
  const text = channelsOf(context.channel).includes('sms') ? stepText(composer, context, reader) : null;
  const draft = composer.draft(reader, reader.email, { customArgs: reader.donorId ? { donor_id: reader.donorId } : {} });
  const built = buildMailRequest(composer.message([draft], {
    customArgs: { campaign_id: scope.campaignId, client_id: scope.clientId, step_number: String(scope.stepNumber) },
    asmGroupId: null,
  }));
  if (!built.body) throw new Error(`SendGrid would refuse this message: ${built.refused.map((r) => r.reason).join('; ')}`);
  const { body } = built;
  return {
    ...substitutedFor(body, 0),
    to: reader.email,
    from: { email: body.from.email, name: body.from.name ?? null },
    replyTo: body.reply_to?.email ?? null,
    headers: { ...body.headers, ...body.personalizations[0].headers },
    links: { donate: draft.values['links.donate']!, unsubscribe: draft.values['links.unsubscribe']! },
    sms: text === null ? null : { from: context.smsFromNumber, to: reader.phone, body: text, ...smsSegments(text) },
  };
}
