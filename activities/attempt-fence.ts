import { Context, heartbeat } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { Pool, type PoolClient, type QueryResultRow } from 'pg';
import type { ActivityDeps } from '.';

/** How often a waiting or working attempt tells Temporal it is alive (the SDK throttles what it forwards). */
const HEARTBEAT_EVERY_MS = 1_000;
/** How often an attempt waiting for the fence tries the lock again. */
const RETRY_LOCK_EVERY_MS = 250;
/** A fence query that gets no answer in this time counts as a lost fence: better no send than a doubtful one. */
const FENCE_QUERY_TIMEOUT_MS = 10_000;
/** Lock sessions one worker process keeps open at most; an attempt beyond them waits for one (heartbeating) up to a minute. */
const FENCE_SESSIONS = 20;
const FENCE_SESSION_WAIT_MS = 60_000;

/**
 * Lock sessions per database URL, kept for the life of the process: taking a fence costs a lock, not a
 * new server backend (a delivery batch takes one per page). A session goes back only without any lock.
 */
const sessionPools = new Map<string, Pool>();

function sessionPool(databaseUrl: string): Pool {
  let pool = sessionPools.get(databaseUrl);
  if (!pool) {
    pool = new Pool({
      connectionString: databaseUrl, max: FENCE_SESSIONS, connectionTimeoutMillis: FENCE_SESSION_WAIT_MS, idleTimeoutMillis: 10_000,
      allowExitOnIdle: true, query_timeout: FENCE_QUERY_TIMEOUT_MS, application_name: 'track15-attempt-fence',
    });
    // An idle session the server ended (a restart, a dropped database) leaves the pool; this keeps its error from ending the process.
    pool.on('error', () => undefined);
    sessionPools.set(databaseUrl, pool);
  }
  return pool;
}

/**
 * The fence around one unit of work that two attempts of an activity must never run at once (a delivery
 * lane, one receipt's email, one ticket mail, one budget alert's channel): a PostgreSQL session advisory
 * lock on `lockKey`, on a session no other work shares, held from before the attempt reads what is already done
 * until after it has recorded what it did.
 *
 * Why: Temporal starts a new attempt when the last one's timeout passes, whether or not that attempt is
 * still running (a slow provider answer, a paused event loop, a worker cut off from Temporal but not from
 * the database). Checking the provider's own record (SendGrid's Email Activity by send key) cannot settle
 * what the earlier attempt has not sent yet, or what the record does not show yet. A later attempt
 * therefore waits here until the earlier one has finished or died (its session ends, and PostgreSQL drops
 * the lock with it), and only then looks at what is done. While it waits or works, it heartbeats, so a
 * healthy but slow call is not taken for dead by an activity with a heartbeat timeout.
 */
export class AttemptFence {
  private lost: Error | null = null;
  /** The session's last query: the next waits for it (A/B variants of a page prove the fence side by side). */
  private previous: Promise<unknown> = Promise.resolve();

  /** A session that dies while checked out reports it here; without a listener the error would end the process. */
  private readonly onError = (error: Error) => { this.lost = error; };

  private constructor(private readonly session: PoolClient, private readonly ticker: NodeJS.Timeout) {
    session.on('error', this.onError);
  }

  /**
   * Waits (heartbeating, and giving up when the activity is cancelled) until no other attempt holds
   * `lockKey`, then holds it. `databaseUrl` is the application role's URL; the lock session is scoped to
   * `clientId` (app.client_id), as every other session of the application is. Call only inside an activity.
   */
  static async acquire(databaseUrl: string, clientId: string, lockKey: string): Promise<AttemptFence> {
    const context = Context.current();
    const ticker = setInterval(() => heartbeat(), HEARTBEAT_EVERY_MS);
    heartbeat();
    let session: PoolClient;
    try {
      session = await sessionPool(databaseUrl).connect();
    } catch (error) {
      clearInterval(ticker);
      throw error;
    }
    const fence = new AttemptFence(session, ticker);
    try {
      // The server probes a silent client after 30 s, three times 10 s apart: a worker host that vanished
      // (no FIN, no RST) frees its locks in about a minute instead of the operating system's two hours.
      await session.query(`select set_config('app.client_id', $1, false), set_config('tcp_keepalives_idle', '30', false),
                                  set_config('tcp_keepalives_interval', '10', false), set_config('tcp_keepalives_count', '3', false)`, [clientId]);
      for (;;) {
        const { rows: [{ locked }] } = await session.query<{ locked: boolean }>(
          'select pg_try_advisory_lock(hashtextextended($1, 0)) as locked', [lockKey]);
        if (locked) return fence;
        await context.sleep(RETRY_LOCK_EVERY_MS);
      }
    } catch (error) {
      await fence.release();
      throw error;
    }
  }

  /**
   * A query on the fence's own session, after checking that the activity is not cancelled and the session
   * is alive. The lock is a session lock this code never releases before release(): it is held exactly as
   * long as this session lives, which an answer on it proves. Throws DeliveryFenceLost (retryable) otherwise.
   */
  async query<R extends QueryResultRow>(sql: string, params: unknown[]): Promise<R[]> {
    Context.current().cancellationSignal.throwIfAborted();
    if (this.lost) throw fenceLost(this.lost.message);
    // One query at a time on the session: pg queues overlapping ones for now, but deprecates it (pg 9 refuses).
    const result = this.previous.then(() => this.session.query<R>(sql, params));
    this.previous = result.catch(() => undefined);
    return (await result).rows;
  }

  /**
   * Lets the next attempt in. The session goes back to the pool only once it holds no advisory lock at all
   * (the fence's, or a text's shared number lock a cancellation left behind); if that cannot be said, it
   * is closed, and PostgreSQL drops its locks with it.
   */
  async release(): Promise<void> {
    clearInterval(this.ticker);
    const clean = !this.lost && await this.session.query('select pg_advisory_unlock_all()').then(() => true, () => false);
    this.session.off('error', this.onError);
    this.session.release(clean ? undefined : true);
  }
}

/** Closes the lock sessions (a worker shutting down, a test harness closing); the next fence opens new ones. */
export async function closeFenceSessions(): Promise<void> {
  const pools = [...sessionPools.values()];
  sessionPools.clear();
  await Promise.all(pools.map((pool) => pool.end()));
}

/**
 * Runs `work` as the only live attempt of `lockKey` within the client (see AttemptFence): a later
 * attempt of the same activity waits for this one to finish or die before its own `work` starts.
 */
export async function asOnlyAttempt<T>(deps: Pick<ActivityDeps, 'orm'>, clientId: string, lockKey: string, work: () => Promise<T>): Promise<T> {
  const fence = await AttemptFence.acquire(deps.orm.config.get('clientUrl')!, clientId, lockKey);
  try {
    return await work();
  } finally {
    await fence.release();
  }
}

/** A fence found lost just before a provider call: nothing was sent, and Temporal retries the attempt. */
export function fenceLost(why: string): ApplicationFailure {
  return ApplicationFailure.create({ message: `delivery fence lost, nothing sent: ${why}`, type: 'DeliveryFenceLost' });
}
