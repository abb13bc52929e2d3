import { Context, heartbeat } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { Client as PgClient } from 'pg';
import type { DeliveryChannel } from '../../domain/delivery/channels';
import { smsNumberLockKey } from '../../domain/sms';

/**
 * One lane of one touchpoint: the unit two attempts of a delivery batch could collide on. `channel` is
 * named by touchpoints that page a lane per channel (a step sent by email and SMS has both); lanes of
 * older touchpoints name none and keep their lock.
 */
export interface Lane { campaignId: string; clientId: string; stepNumber: number; shard: number; channel?: DeliveryChannel }

/** The ledger rows an attempt claimed: under its claim token, on one channel of its lane. */
export interface LaneClaim { lane: Lane; channel: DeliveryChannel; sendKey: string }

/** How often a waiting or sending attempt tells Temporal it is alive (the SDK throttles what it forwards). */
const HEARTBEAT_EVERY_MS = 1_000;
/** How often an attempt waiting for the lane tries the lock again. */
const RETRY_LOCK_EVERY_MS = 250;
/** A fence check that gets no answer in this time counts as a lost fence: better no send than a doubtful one. */
const FENCE_QUERY_TIMEOUT_MS = 10_000;

/**
 * The fence around one delivery lane, held by one activity attempt from before it reconciles and claims
 * until after it has settled: a PostgreSQL session advisory lock on a connection of its own. A later
 * attempt of the same batch (Temporal retries a batch whose heartbeats stopped, even though the first
 * attempt may still be running: a slow provider answer, a paused event loop, a worker cut off from
 * Temporal but not from the database) waits here until the earlier attempt has finished or died (its
 * session ends, and PostgreSQL drops the lock with it). So two attempts can never both send the same
 * (campaign, step, donor), whatever their timing.
 *
 * Holding the fence is checked before every provider call (`assertHeld`): the lock session must still
 * answer, and every row about to be sent must still be pending under this attempt's claim token
 * (`send_key`). While held, the attempt heartbeats, so a healthy but slow call is not taken for dead.
 */
export class LaneFence {
  private lost: Error | null = null;

  private constructor(private readonly session: PgClient, private readonly ticker: NodeJS.Timeout) {}

  /**
   * Waits (heartbeating, and giving up when the activity is cancelled) until no other attempt holds the
   * lane, then holds it. `databaseUrl` is the application role's URL; the lock session is scoped to the
   * lane's client, as every other session of the application is.
   */
  static async acquire(databaseUrl: string, lane: Lane): Promise<LaneFence> {
    return LaneFence.acquireKey(databaseUrl, lane.clientId, `delivery-lane:${lane.campaignId}:${lane.stepNumber}:${lane.shard}${lane.channel ? `:${lane.channel}` : ''}`);
  }

  /**
   * The same fence around any other unit of work an activity must never run twice at once, whatever
   * Temporal's timing (a budget alert's email or webhook, activities/budget-alerts/delivery.ts): waits as
   * `acquire` does, for `lockKey` within the client.
   */
  static async acquireKey(databaseUrl: string, clientId: string, lockKey: string): Promise<LaneFence> {
    const context = Context.current();
    const session = new PgClient({ connectionString: databaseUrl, query_timeout: FENCE_QUERY_TIMEOUT_MS, application_name: 'track15-lane-fence' });
    const ticker = setInterval(() => heartbeat(), HEARTBEAT_EVERY_MS);
    const fence = new LaneFence(session, ticker);
    // A session that dies while idle reports it here; without a listener the error would end the process.
    session.on('error', (error) => { fence.lost = error; });
    try {
      heartbeat();
      await session.connect();
      await session.query(`select set_config('app.client_id', $1, false)`, [clientId]);
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
   * Proves, just before a provider call, that this attempt still holds the lane and that each of
   * `donorIds` is still pending under its claim token; throws (retryably) otherwise, without sending.
   */
  async assertHeld(claim: LaneClaim & { donorIds: string[] }): Promise<void> {
    Context.current().cancellationSignal.throwIfAborted();
    if (this.lost) throw fenceLost(this.lost.message);
    // The lock is a session lock this code never releases before release(): it is held exactly as long as
    // this session lives, which an answer on it proves (no scan of pg_locks needed).
    const { rows: [{ claimed }] } = await this.session.query<{ claimed: number }>(
      // A primary-key probe per donor (LIMIT 1 laterally), whatever the ledger's statistics say.
      `select count(*)::int as claimed
         from unnest($3::uuid[]) as x(donor_id),
              lateral (select 1 from campaign_deliveries
                        where campaign_id = $1 and step_number = $2 and donor_id = x.donor_id and channel = $5
                          and status = 'pending' and send_key = $4 limit 1) l`,
      [claim.lane.campaignId, claim.lane.stepNumber, claim.donorIds, claim.sendKey, claim.channel]);
    if (claimed !== claim.donorIds.length) throw fenceLost(`${claim.donorIds.length - claimed} of the rows to send are no longer claimed by this attempt`);
  }

  /**
   * Sends one text to `phone` unless the number has opted out of the client (sms_opt_outs), proving the
   * fence and the claim first. The check and the send happen under a shared advisory lock on the
   * (client, number) that recording an opt-out takes exclusively (api/services/sms/sms-inbound.ts), so a STOP
   * is either recorded before the check, which then sees it, or waits until this text has left: a number
   * is never texted after its STOP was recorded, even by a touchpoint that claimed it before.
   * An error of `send` comes back as `{ error }`; a lost fence throws, before anything is sent.
   */
  async textUnlessOptedOut<T>(claim: LaneClaim & { donorId: string }, phone: string, send: () => Promise<T>):
  Promise<{ sent: T } | { optedOut: true } | { error: unknown }> {
    const key = smsNumberLockKey(claim.lane.clientId, phone);
    await this.session.query('select pg_advisory_lock_shared(hashtextextended($1, 0))', [key]);
    try {
      await this.assertHeld({ ...claim, donorIds: [claim.donorId] });
      const { rows: [{ opted_out: optedOut }] } = await this.session.query<{ opted_out: boolean }>(
        'select exists (select 1 from sms_opt_outs where client_id = $1 and phone = $2) as opted_out', [claim.lane.clientId, phone]);
      if (optedOut) return { optedOut: true };
      try {
        return { sent: await send() };
      } catch (error) {
        return { error };
      }
    } finally {
      await this.session.query('select pg_advisory_unlock_shared(hashtextextended($1, 0))', [key]).catch(() => undefined);
    }
  }

  /** Lets the next attempt in: ending the session drops the lock even if the unlock cannot be said. */
  async release(): Promise<void> {
    clearInterval(this.ticker);
    await this.session.end().catch(() => undefined);
  }
}

function fenceLost(why: string): ApplicationFailure {
  return ApplicationFailure.create({ message: `delivery fence lost, nothing sent: ${why}`, type: 'DeliveryFenceLost' });
}
