import type { FastifyReply, FastifyRequest } from 'fastify';
import { Problem, invalid } from './problem';

/**
 * Optimistic locking over HTTP, one way for every resource that has a `version` column (seed 004's
 * profiles, guidelines, budgets and containers; donors): a read answers the row's version as a strong
 * ETag (RFC 9110 §8.8.3); a change names the version it is based on in If-Match (§13.1.1) or, for
 * clients that cannot set headers, as `version` in the body; the database applies it only while the
 * row is still at that version (`where version = ?`), so of two changes based on the same version
 * exactly one wins and the other answers 412 with the current version.
 */

/** The ETag of a row at `version`: every change increments the version, so it names one representation. */
export function etag(version: number): string {
  return `"${version}"`;
}

/** Sets the ETag of the row being answered. */
export function withEtag<T extends { version: number }>(reply: FastifyReply, row: T): T {
  void reply.header('etag', etag(row.version));
  return row;
}

const ENTITY_TAG = /^(?:W\/)?"(\d{1,10})"$/;
const IF_MATCH = 'header.if-match';

/**
 * The version a change is based on: If-Match (one entity tag as this API issues them), else the body's
 * `version`. Neither: 428 Precondition Required (RFC 6585 §3). Both, disagreeing: 400. Units: the
 * row's version number.
 */
export function baseVersionOf(request: FastifyRequest, bodyVersion?: number): number {
  const header = request.headers['if-match'];
  if (header === undefined) {
    if (bodyVersion !== undefined) return bodyVersion;
    throw new Problem(428, 'Precondition Required', `${IF_MATCH}: send If-Match with the ETag you read (or "version" in the body), so a change never overwrites one you have not seen`,
      { errors: [{ field: IF_MATCH, message: 'is required' }] }, 'urn:track15:problem:precondition-required');
  }
  const match = ENTITY_TAG.exec(String(header).trim());
  const version = match ? Number(match[1]) : NaN;
  if (!Number.isSafeInteger(version) || version < 1) {
    throw invalid([{ field: IF_MATCH, message: 'must be one entity tag as this API sends it in ETag, e.g. "3"' }]);
  }
  if (bodyVersion !== undefined && bodyVersion !== version) {
    throw invalid([{ field: 'body.version', message: `disagrees with If-Match (${version})` }]);
  }
  return version;
}

/** 412: the row moved on since the caller read it; `current_version` and the ETag say where it is now. */
export function preconditionFailed(what: string, currentVersion: number): Problem {
  return new Problem(412, 'Precondition Failed',
    `${IF_MATCH}: the ${what} has changed since you read it; its current version is ${currentVersion}. Read it again and reapply your change`,
    { current_version: currentVersion, errors: [{ field: IF_MATCH, message: `is stale; current version is ${currentVersion}` }] },
    'urn:track15:problem:stale-version', { etag: etag(currentVersion) });
}
