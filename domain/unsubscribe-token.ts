import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Signed one-click unsubscribe tokens (RFC 8058 links). The token carries who and where from, signed
 * with HMAC-SHA256, so it cannot be forged or altered; it stays valid for `maxAgeDays` after issue.
 */
export interface UnsubscribeClaims { clientId: string; donorId: string; campaignId: string | null; issuedAt: number }

export const UNSUBSCRIBE_TOKEN_MAX_AGE_DAYS = 60;

export function signUnsubscribeToken(claims: UnsubscribeClaims, secret: string): string {
  const payload = Buffer.from(JSON.stringify([claims.clientId, claims.donorId, claims.campaignId, claims.issuedAt])).toString('base64url');
  return `${payload}.${mac(payload, secret)}`;
}

export function verifyUnsubscribeToken(token: string, secret: string, now: number, maxAgeDays = UNSUBSCRIBE_TOKEN_MAX_AGE_DAYS): UnsubscribeClaims | null {
  const [payload, signature, extra] = token.split('.');
  if (!payload || !signature || extra !== undefined) return null;
  const expected = Buffer.from(mac(payload, secret));
  const given = Buffer.from(signature);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
  try {
    const [clientId, donorId, campaignId, issuedAt] = JSON.parse(Buffer.from(payload, 'base64url').toString()) as [string, string, string | null, number];
    if (typeof issuedAt !== 'number' || now - issuedAt > maxAgeDays * 86_400_000 || issuedAt > now + 60_000) return null;
    return { clientId, donorId, campaignId, issuedAt };
  } catch {
    return null;
  }
}

function mac(payload: string, secret: string): string {
  return createHmac('sha256', secret).update(payload).digest('base64url');
}
