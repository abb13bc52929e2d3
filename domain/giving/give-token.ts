import { signToken, unverifiedClaims, verifyToken } from '../signed-token';

/**
 * The signed tokens of the donor-facing money links (domain/signed-token.ts):
 * - a give link, in every campaign email: who gives (client, donor) and which touchpoint asked
 *   (campaign, step), so the gift is attributed to the step that converted;
 * - a manage link, in every monthly-gift receipt: which monthly gift the donor may cancel.
 * Each expires; an expired but genuine token still says which organisation it is for, so the give page
 * can take an unattributed gift for it rather than turn the donor away. So does a give token that fails
 * its signature (altered, mangled by a mail client) but still names a client: giving to that organisation,
 * unattributed, is all it can open (issue 11 item 1), never a campaign's or donor's attribution.
 */
export interface GiveClaims { clientId: string; campaignId: string; stepNumber: number; donorId: string; expiresAt: number }
export interface ManageClaims { clientId: string; recurringGiftId: string; expiresAt: number }

/**
 * What a presented token turned out to be: genuine and current, genuine but expired, not genuine but naming
 * its claims (`unverified`: to be trusted for nothing but which organisation's page to show), or unreadable (null).
 */
export type TokenReading<T> = { state: 'valid' | 'expired' | 'unverified'; claims: T } | null;

/** Campaign mail is read late: a link stays good for a season after the email (the arc itself lasts 15 days). */
export const GIVE_TOKEN_TTL_MS = 90 * 86_400_000;
/** A monthly gift runs for years; its receipts' manage links stay good for a year after each receipt. */
export const MANAGE_TOKEN_TTL_MS = 365 * 86_400_000;

const GIVE = 'give';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const uuid = (value: unknown): value is string => typeof value === 'string' && UUID.test(value);
const MANAGE = 'manage-monthly-gift';

export function signGiveToken(claims: GiveClaims, secret: string): string {
  return signToken([claims.clientId, claims.campaignId, claims.stepNumber, claims.donorId, claims.expiresAt], secret, GIVE);
}

/** A give token's claims: `valid` only when genuine and unexpired; `unverified` when the signature fails but the payload reads. */
export function readGiveToken(token: string, secret: string, now: number): TokenReading<GiveClaims> {
  const verified = verifyToken(token, secret, GIVE);
  const claims = giveClaims(verified ?? unverifiedClaims(token));
  if (!claims) return null;
  if (!verified) return { state: 'unverified', claims };
  return { state: now <= claims.expiresAt ? 'valid' : 'expired', claims };
}

function giveClaims(raw: unknown[] | null): GiveClaims | null {
  if (!raw) return null;
  const [clientId, campaignId, stepNumber, donorId, expiresAt] = raw;
  if (!uuid(clientId) || !uuid(campaignId) || !uuid(donorId) || !Number.isInteger(stepNumber) || typeof expiresAt !== 'number') return null;
  return { clientId, campaignId, stepNumber: stepNumber as number, donorId, expiresAt };
}

export function signManageToken(claims: ManageClaims, secret: string): string {
  return signToken([claims.clientId, claims.recurringGiftId, claims.expiresAt], secret, MANAGE);
}

/** A manage token's claims, only when genuine (it cancels a monthly gift): never `unverified`. */
export function readManageToken(token: string, secret: string, now: number): TokenReading<ManageClaims> {
  const raw = verifyToken(token, secret, MANAGE);
  if (!raw) return null;
  const [clientId, recurringGiftId, expiresAt] = raw;
  if (!uuid(clientId) || !uuid(recurringGiftId) || typeof expiresAt !== 'number') return null;
  const claims: ManageClaims = { clientId, recurringGiftId, expiresAt };
  return { state: now <= expiresAt ? 'valid' : 'expired', claims };
}
