import { AttemptFence, fenceLost } from '../attempt-fence';
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

/**
 * The fence around one delivery lane (activities/attempt-fence.ts), held by one activity attempt from
 * before it reconciles and claims until after it has settled. A later attempt of the same batch waits
 * until the earlier attempt has finished or died, so two attempts can never both send the same
 * (campaign, step, donor), whatever their timing.
 *
 * Holding the fence is checked before every provider call (`assertHeld`): the lock session must still
 * answer, and every row about to be sent must still be pending under this attempt's claim token
 * (`send_key`).
 */
export class LaneFence {
  private constructor(private readonly held: AttemptFence) {}

  /** Waits until no other attempt holds the lane, then holds it (AttemptFence.acquire). */
  static async acquire(databaseUrl: string, lane: Lane): Promise<LaneFence> {
    const key = `delivery-lane:${lane.campaignId}:${lane.stepNumber}:${lane.shard}${lane.channel ? `:${lane.channel}` : ''}`;
    return new LaneFence(await AttemptFence.acquire(databaseUrl, lane.clientId, key));
  }

  /**
   * Proves, just before a provider call, that this attempt still holds the lane and that each of
   * `donorIds` is still pending under its claim token; throws (retryably) otherwise, without sending.
   */
  async assertHeld(claim: LaneClaim & { donorIds: string[] }): Promise<void> {
    const [{ claimed }] = await this.held.query<{ claimed: number }>(
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
    await this.held.query('select pg_advisory_lock_shared(hashtextextended($1, 0))', [key]);
    try {
      await this.assertHeld({ ...claim, donorIds: [claim.donorId] });
      const [{ opted_out: optedOut }] = await this.held.query<{ opted_out: boolean }>(
        'select exists (select 1 from sms_opt_outs where client_id = $1 and phone = $2) as opted_out', [claim.lane.clientId, phone]);
      if (optedOut) return { optedOut: true };
      try {
        return { sent: await send() };
      } catch (error) {
        return { error };
      }
    } finally {
      await this.held.query('select pg_advisory_unlock_shared(hashtextextended($1, 0))', [key]).catch(() => undefined);
    }
  }

  /** Lets the next attempt in. */
  release(): Promise<void> {
    return this.held.release();
  }
}
