import { signToken, verifyToken } from '../signed-token';

/**
 * Signed one-click unsubscribe tokens (RFC 8058 links). The token carries who and where from, signed
 * with HMAC-SHA256 (domain/signed-token.ts), so it cannot be forged or altered; it stays valid for
 * `maxAgeDays` after issue.
 */
export interface UnsubscribeClaims { clientId: string; donorId: string; campaignId: string | null; issuedAt: number }

export const UNSUBSCRIBE_TOKEN_MAX_AGE_DAYS = 60;
/** The bare payload is signed: the format every unsubscribe link sent so far carries. */
const PURPOSE = '';

export function signUnsubscribeToken(claims: UnsubscribeClaims, secret: string): string {
  return signToken([claims.clientId, claims.donorId, claims.campaignId, claims.issuedAt], secret, PURPOSE);
}

export function verifyUnsubscribeToken(token: string, secret: string, now: number, maxAgeDays = UNSUBSCRIBE_TOKEN_MAX_AGE_DAYS): UnsubscribeClaims | null {
  const claims = verifyToken(token, secret, PURPOSE);
  if (!claims) return null;
  const [clientId, donorId, campaignId, issuedAt] = claims as [string, string, string | null, number];
  if (typeof issuedAt !== 'number' || now - issuedAt > maxAgeDays * 86_400_000 || issuedAt > now + 60_000) return null;
  return { clientId, donorId, campaignId, issuedAt };
}
