import type { EntityManager } from '@mikro-orm/postgresql';
import type { z } from 'zod';
import { EFFECTIVE_SENDER_SQL } from '../../activities/delivery/sender-identity';
import { type SenderSettings, senderProblems } from '../../domain/delivery/sender';
import { conflict } from '../problem';
import type { Sender } from '../schemas/clients';

/** Request field → column of the sender identity, the same on clients and campaigns. */
const SENDER_COLUMNS: Record<keyof SenderSettings, string> = {
  from_email: 'sender_from_email',
  from_name: 'sender_from_name',
  reply_to: 'sender_reply_to',
  postal_address: 'postal_address',
};

/** The stored identity (or overrides) as the API shows it: `sender` with every field, null where unset. */
export const SENDER_VIEW_SQL = `json_build_object(${Object.entries(SENDER_COLUMNS).map(([field, column]) => `'${field}', ${column}`).join(', ')}) as sender`;

/** `column = ?` assignments for the sender fields an update names. */
export function senderAssignments(sender: Partial<z.infer<typeof Sender>> | undefined): { columns: string[]; values: unknown[] } {
  const entries = Object.entries(sender ?? {}).filter(([, value]) => value !== undefined) as [keyof SenderSettings, string | null][];
  return { columns: entries.map(([field]) => SENDER_COLUMNS[field]), values: entries.map(([, value]) => value) };
}

/**
 * A running campaign reads its sender identity at every send, so an edit that leaves one of the client's
 * active or paused campaigns without a From address or postal address is refused (409 with the reasons),
 * in the edit's own transaction so nothing changes.
 */
export async function requireSendersOfRunningCampaigns(em: EntityManager, campaignId?: string): Promise<void> {
  const running = await em.execute<{ id: string; name: string; sender: SenderSettings }[]>(
    `select c.id, c.name, ${EFFECTIVE_SENDER_SQL} as sender
       from campaigns c join clients cl on cl.id = c.client_id
      where c.deleted_at is null and c.track15_stage in ('active', 'paused') and (?::uuid is null or c.id = ?::uuid)`,
    [campaignId ?? null, campaignId ?? null],
  );
  const reasons = running.flatMap((campaign) => senderProblems(campaign.sender).map((problem) => `running campaign '${campaign.name}': ${problem}`));
  if (reasons.length > 0) throw conflict('the change would leave a running campaign without a complete sender identity', { reasons });
}
