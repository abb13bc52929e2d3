import { generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import Stripe from 'stripe';

/**
 * Webhook requests signed the way the providers sign them: Stripe's v1 HMAC header (through the SDK's
 * own test helper) and SendGrid's ECDSA P-256 signature over timestamp + body.
 */
const stripeSdk = new Stripe('sk_test_123');

export function stripeSignature(payload: string, secret: string, timestamp = Math.floor(Date.now() / 1000)): string {
  return stripeSdk.webhooks.generateTestHeaderString({ payload, secret, timestamp });
}

export function stripeEvent(type: string, object: Record<string, unknown>): Record<string, unknown> & { id: string } {
  return {
    id: `evt_${randomBytes(8).toString('hex')}`, object: 'event', api_version: '2025-01-27.acacia', type,
    created: Math.floor(Date.now() / 1000), livemode: false, pending_webhooks: 1, request: { id: null, idempotency_key: null },
    data: { object },
  };
}

export class SendGridSigner {
  private readonly keys = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  /** As SendGrid shows it under Mail Settings: base64 of the DER public key. */
  readonly publicKey = this.keys.publicKey.export({ type: 'spki', format: 'der' }).toString('base64');

  headers(payload: string, timestamp = Math.floor(Date.now() / 1000)): Record<string, string> {
    const signature = sign('sha256', Buffer.from(`${timestamp}${payload}`), this.keys.privateKey).toString('base64');
    return {
      'content-type': 'application/json',
      'x-twilio-email-event-webhook-signature': signature,
      'x-twilio-email-event-webhook-timestamp': String(timestamp),
    };
  }
}

/** Fisher-Yates with a seeded generator, so a failing order can be reproduced. */
export function shuffled<T>(items: T[], seed: number): T[] {
  const out = [...items];
  let state = seed;
  for (let i = out.length - 1; i > 0; i--) {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    const j = state % (i + 1);
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}
