import { ApplicationFailure } from '@temporalio/common';

/** The ApplicationFailure type of an activity that failed on its data; workflows and operators filter on it. */
export const DATA_REJECTED = 'DataRejected';

interface DatabaseErrorLike { code?: unknown; constraint?: unknown; message?: unknown }

/**
 * Whether the database refused the data itself, so the same call would fail the same way on every
 * retry: SQLSTATE class 22 (data exception: a value out of range, an encoding error such as NUL in text,
 * bad input syntax) and class 23 (integrity constraint violation), per PostgreSQL's Appendix A, and
 * 08P01, which PostgreSQL answers when a NUL reaches it inside a text parameter. Connection losses,
 * deadlocks (40xxx) and the rest stay retryable.
 */
export function isDataRejection(error: unknown): error is DatabaseErrorLike & Error {
  const code = (error as DatabaseErrorLike | null)?.code;
  return typeof code === 'string' && (/^2[23][0-9A-Z]{3}$/.test(code) || code === '08P01');
}

/**
 * PostgreSQL's own message. The query builder prefixes it with the statement and its bound values
 * (`<sql> - <message>`); those must not travel into the workflow's history and the campaign status.
 */
function postgresMessage(error: Error): string {
  const separator = error.message.lastIndexOf(' - ');
  return separator >= 0 ? error.message.slice(separator + 3) : error.message;
}

/**
 * A non-retryable failure that says what was refused and why, without the rows' values beyond PostgreSQL's
 * own message. The database error is not chained as its cause, since its message carries the statement.
 */
export function dataRejection(error: DatabaseErrorLike & Error): ApplicationFailure {
  const constraint = typeof error.constraint === 'string' ? `, constraint ${error.constraint}` : '';
  return ApplicationFailure.create({
    type: DATA_REJECTED,
    nonRetryable: true,
    message: `the database refused the data (SQLSTATE ${String(error.code)}${constraint}): ${postgresMessage(error)}`,
  });
}

type Activity = (...args: never[]) => Promise<unknown>;

/**
 * Every activity, failing fast on bad data: a call the database refuses for its data fails once,
 * non-retryable, with the reason (so the workflow sees it and the campaign status shows it) instead
 * of being retried without end under the activity's retry policy. The one place this is decided.
 */
export function failFastOnBadData<T extends Record<string, Activity>>(activities: T): T {
  return Object.fromEntries(Object.entries(activities).map(([name, activity]) => [name, async (...args: Parameters<typeof activity>) => {
    try {
      return await activity(...args);
    } catch (error) {
      throw isDataRejection(error) ? dataRejection(error) : error;
    }
  }])) as T;
}
