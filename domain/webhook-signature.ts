import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Signatures of the webhooks the product sends (budget alerts), on Stripe's scheme
 * (https://docs.stripe.com/webhooks#verify-manually): the header
 *
 *   Track15-Signature: t=<Unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>" keyed by the signing secret>
 *
 * The timestamp is signed with the body, so a receiver that refuses old timestamps (5 minutes here) cannot
 * be sent a captured delivery again later. Each attempt is signed afresh; the body and the
 * `Track15-Event-Id` header stay the same across attempts, so a receiver dedupes on the id.
 */
export const SIGNATURE_HEADER = 'Track15-Signature';
export const EVENT_ID_HEADER = 'Track15-Event-Id';
/** How old a signature's timestamp may be, in seconds, when verifyWebhookSignature checks it. */
export const SIGNATURE_TOLERANCE_SECONDS = 300;

/** A new signing secret: `whsec_` and 32 random bytes in base64url (the whole string is the HMAC key). */
export function newSigningSecret(): string {
  return `whsec_${randomBytes(32).toString('base64url')}`;
}

/** The Track15-Signature header value for `rawBody` sent at `timestampSeconds` (Unix time, seconds). */
export function signWebhook(secret: string, rawBody: string, timestampSeconds: number): string {
  return `t=${timestampSeconds},v1=${hmac(secret, `${timestampSeconds}.${rawBody}`)}`;
}

/**
 * Whether a Track15-Signature header is this secret's signature of `rawBody` (the bytes as received, before
 * any JSON parsing) with a timestamp within `toleranceSeconds` of `nowSeconds`. Any `v1` entry may match
 * (several are sent while a secret is being rolled); comparison is constant-time.
 */
export function verifyWebhookSignature(
  secret: string, rawBody: string, header: string, nowSeconds: number, toleranceSeconds = SIGNATURE_TOLERANCE_SECONDS,
): boolean {
  const parts = header.split(',').map((part) => part.trim().split('='));
  const timestamp = Number(parts.find(([key]) => key === 't')?.[1]);
  if (!Number.isInteger(timestamp) || Math.abs(nowSeconds - timestamp) > toleranceSeconds) return false;
  const expected = Buffer.from(hmac(secret, `${timestamp}.${rawBody}`));
  return parts.filter(([key]) => key === 'v1').some(([, value]) => {
    const given = Buffer.from(value ?? '');
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
}

function hmac(secret: string, payload: string): string {
  return createHmac('sha256', secret).update(payload, 'utf8').digest('hex');
}
