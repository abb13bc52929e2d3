import { z } from 'zod';
import { MAX_TEST_ADDRESSES } from '../../activities/previews/test-send';
import { choice, uuid } from './common';
import { rfmSegment } from './donors';

/** Whom a preview or test message is written for: one donor of the client, or a sample donor of an RFM segment. */
const readerFields = {
  donor_id: uuid.optional().describe('Render for this donor of the client'),
  segment: rfmSegment('Render for a sample donor of this RFM segment (its first donor with an email address)').optional(),
};

const notBoth = (value: { donor_id?: string; segment?: string }, ctx: z.RefinementCtx) => {
  if (value.donor_id !== undefined && value.segment !== undefined) {
    ctx.addIssue({ code: 'custom', path: ['segment'], message: 'give donor_id or segment, not both' });
  }
};

export const PreviewQuery = z.strictObject(readerFields).superRefine((value, ctx) => {
  notBoth(value, ctx);
  if (value.donor_id === undefined && value.segment === undefined) {
    ctx.addIssue({ code: 'custom', path: ['donor_id'], message: 'give donor_id, or segment for a sample donor of it' });
  }
});

export const StepPreview = z.object({
  step_number: z.number().int(),
  donor_id: z.string().describe('The donor the message is rendered for'),
  segment: rfmSegment('Their RFM segment, which picks the step\'s segment customization').nullable(),
  to: z.string(),
  from: z.object({ email: z.string(), name: z.string().nullable() }),
  reply_to: z.string().nullable(),
  subject: z.string(),
  html: z.string(),
  text: z.string(),
  headers: z.record(z.string(), z.string()).describe('Every header the message carries, List-Unsubscribe included'),
  links: z.object({ donate: z.string(), unsubscribe: z.string() }).describe('The links the message carries; the unsubscribe link is this donor\'s own, signed now'),
  sms: z.object({
    from: z.string().nullable().describe('The client\'s sms_from_number (E.164); null when it has none (the send would fail)'),
    to: z.string().nullable().describe('The donor\'s phone as stored; null without one (the send would skip them: no_address)'),
    body: z.string().describe('The text as sent, links and the STOP line included'),
    encoding: choice({
      'GSM-7': 'every character is in the GSM 03.38 alphabet or its extension: 160 characters in one segment',
      'UCS-2': 'some character is not: 70 UTF-16 units in one segment',
    }, 'How the text travels'),
    segments: z.number().int().describe('Segments carriers bill (160 GSM-7 or 70 UCS-2 characters for one; 153 or 67 per part beyond)'),
    characters: z.number().int(),
  }).nullable().describe('The text message of a step sent by SMS or by email and SMS, as this donor would get it; null for an email step. The email fields above are the email the step sends (an SMS-only step sends none)'),
  brand: z.object({
    name: z.string().describe('The From name unless the campaign names its own'),
    logo_url: z.string().nullable(),
    primary_color: z.string().nullable(),
    accent_color: z.string().nullable(),
    voice: z.object({
      brand_voice: z.string().nullable(),
      tones: z.array(z.string()),
      notes: z.array(z.string()),
      messaging_pillars: z.array(z.string()),
      do: z.array(z.string()),
      dont: z.array(z.string()),
    }).describe('How the brand speaks, to check the copy against; shown here only, never sent'),
  }).nullable().describe('The brand guidelines in effect for the campaign (its profile usage), which frame the HTML part; null without'),
});

const addresses = z.array(z.email().max(255)).min(1).max(MAX_TEST_ADDRESSES)
  .describe(`The test addresses (1-${MAX_TEST_ADDRESSES}); only they receive anything`);

export const TestSendBody = z.strictObject({
  addresses,
  ...readerFields,
}).superRefine(notBoth);

export const TestSendResult = z.object({
  workflow_id: z.string(),
  status: choice({
    sent: 'SendGrid accepted the test message',
    sending: 'SendGrid has not accepted it yet (the workflow keeps retrying); the workflow id tells when',
  }, 'Whether the test message went out'),
  subject: z.string().nullable().describe('The subject as sent, [TEST] prefix included'),
  sent_to: z.array(z.string()),
  refused: z.array(z.object({ address: z.string(), reason: z.string() })).describe('Addresses SendGrid refused'),
});

export const RehearsalBody = z.strictObject({
  addresses,
  day_length_seconds: z.number().int().min(1).max(86_400).describe('Length of one arc day in the rehearsal, in seconds (60: the 15-day arc in 15 minutes)'),
  ...readerFields,
}).superRefine(notBoth);

export const RehearsalStarted = z.object({
  workflow_id: z.string(),
  rehearsal_number: z.number().int().describe('1 for the campaign\'s first rehearsal, then 2, 3…'),
});
