import { createHash, randomBytes } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import { notFound } from '../problem';
import type { PageWindow } from '../schemas/common';
import { RecentAnswers } from './recent-answers';

/**
 * API keys: `t15_` and 32 random base64url characters (192 bits). Only the SHA-256 of a key is stored,
 * so the database never holds a usable key; the key itself is shown once, when it is issued. A fast
 * hash is enough because the key is random, not a password.
 */
export type Role = 'operator' | 'client';
export interface Principal { keyId: string; clientId: string | null; role: Role }

const KEY_PREFIX = 't15_';
const PREFIX_SHOWN = 8;

export function hashKey(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

export function newKey(): string {
  return `${KEY_PREFIX}${randomBytes(24).toString('base64url')}`;
}

/**
 * How long one check of a key against the database serves that key's later requests in this process
 * (issue 12 item 4: a polled route paid a database round trip per call for the same answer). A
 * revocation through this process takes effect at once (forgetKeyChecks); through another
 * API process, within this time.
 */
const KEY_CHECK_FRESH_MS = 1_000;
const recentChecks = new RecentAnswers<Principal | null>(KEY_CHECK_FRESH_MS);

/** Forgets every remembered key check; after a revocation has committed, so no check can see the key as it was. */
export function forgetKeyChecks(): void {
  recentChecks.forget(() => true);
}

/**
 * The principal a key stands for, or null for an unknown or revoked key. Runs outside any tenant (the
 * tenant is what it finds out), through the definer-rights function the schema provides. That function
 * also records last_used_at (at most once a minute per key); waiting for that write to reach disk would
 * cap the API at the disk's flush rate, and losing the last few timestamps in a crash is harmless, so
 * this one statement commits asynchronously.
 */
export function authenticate(em: EntityManager, key: string): Promise<Principal | null> {
  const hash = hashKey(key);
  return recentChecks.get(hash, async () => {
    const [row] = await em.execute<{ id: string; client_id: string | null; role: Role }[]>(
      `select k.id, k.client_id, k.role
         from (select set_config('synchronous_commit', 'off', true)) as async_commit, authenticate_api_key(?) as k`,
      [hash]);
    return row ? { keyId: row.id, clientId: row.client_id, role: row.role } : null;
  });
}

const KEY_COLUMNS = 'id, client_id, role, name, key_prefix, created_at, last_used_at, revoked_at';

export interface ApiKeyRow {
  id: string; client_id: string | null; role: Role; name: string; key_prefix: string;
  created_at: string; last_used_at: string | null; revoked_at: string | null;
}

/** `em` is scoped to the client (client keys) or runs as the operator (operator keys, client_id null). */
export async function issueKey(em: EntityManager, input: { clientId: string | null; name: string }): Promise<ApiKeyRow & { key: string }> {
  const key = newKey();
  const [row] = await em.execute<ApiKeyRow[]>(
    `insert into api_keys (client_id, role, name, key_prefix, key_hash) values (?, ?, ?, ?, ?) returning ${KEY_COLUMNS}`,
    [input.clientId, input.clientId ? 'client' : 'operator', input.name, key.slice(0, PREFIX_SHOWN), hashKey(key)],
  );
  return { ...row, key };
}

/** Oldest first, revoked keys included (with revoked_at). */
export function listKeys(em: EntityManager, clientId: string | null, window: PageWindow): Promise<ApiKeyRow[]> {
  return em.execute<ApiKeyRow[]>(
    `select ${KEY_COLUMNS} from api_keys where client_id is not distinct from ? order by created_at, id limit ? offset ?`,
    [clientId, window.limit, window.offset]);
}

/**
 * Revoking is idempotent (the first revocation time stays) and immediate in this process; other API
 * processes stop accepting the key within KEY_CHECK_FRESH_MS (1 s). The caller calls forgetKeyChecks
 * once the revocation has committed.
 */
export async function revokeKey(em: EntityManager, clientId: string | null, keyId: string): Promise<ApiKeyRow> {
  const [row] = await em.execute<ApiKeyRow[]>(
    `update api_keys set revoked_at = coalesce(revoked_at, now())
      where id = ? and client_id is not distinct from ? returning ${KEY_COLUMNS}`,
    [keyId, clientId],
  );
  if (!row) throw notFound('API key');
  return row;
}
