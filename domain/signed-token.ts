import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Signed link tokens: `<payload>.<mac>`, the payload a base64url JSON array of claims, the MAC an
 * HMAC-SHA256 over it, so a token can be neither forged nor altered. Each kind of link names its
 * `purpose`, which is signed with the payload: a token made for one purpose never verifies as another
 * (an unsubscribe token is no give link), even under the same secret.
 *
 * The unsubscribe link predates purposes; its purpose is '' and signs the bare payload, so links already
 * in inboxes keep working.
 */
export function signToken(claims: readonly unknown[], secret: string, purpose: string): string {
  const payload = Buffer.from(JSON.stringify(claims)).toString('base64url');
  return `${payload}.${mac(payload, secret, purpose)}`;
}

/** The claims of a token this secret signed for this purpose, or null (forged, altered, malformed). Expiry is the caller's rule. */
export function verifyToken(token: string, secret: string, purpose: string): unknown[] | null {
  const [payload, signature, extra] = token.split('.');
  if (!payload || !signature || extra !== undefined) return null;
  const expected = Buffer.from(mac(payload, secret, purpose));
  const given = Buffer.from(signature);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
  try {
    const claims: unknown = JSON.parse(Buffer.from(payload, 'base64url').toString());
    return Array.isArray(claims) ? claims : null;
  } catch {
    return null;
  }
}

/**
 * The claims a token's payload states, WITHOUT checking its MAC: only for a use where a forged value can
 * do no harm (the give page takes the organisation a broken link names, never who or what it attributes).
 * Null when the payload is not a base64url JSON array.
 */
export function unverifiedClaims(token: string): unknown[] | null {
  const [payload] = token.split('.');
  try {
    const claims: unknown = JSON.parse(Buffer.from(payload, 'base64url').toString());
    return Array.isArray(claims) ? claims : null;
  } catch {
    return null;
  }
}

function mac(payload: string, secret: string, purpose: string): string {
  return createHmac('sha256', secret).update(purpose ? `${purpose}\u0000${payload}` : payload).digest('base64url');
}
