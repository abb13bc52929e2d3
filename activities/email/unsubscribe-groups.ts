import type { EntityManager } from '@mikro-orm/postgresql';
import type { Client } from '@sendgrid/client';
import { withClient } from '../../domain/db/tenancy';
import type { ActivityDeps } from '..';
import { providerFailure } from './sendgrid';

/** Mail categories that go out with an unsubscribe group (transactional mail, such as receipts, has none). */
export type GroupCategory = 'marketing' | 'newsletter' | 'events';

interface SendGridGroup { id: number; name: string; description: string }

/** SendGrid's limits on a group (Unsubscribe Groups API): a name of ≤ 30 characters, unique per account; a description of ≤ 100. */
const NAME_MAX = 30;
const DESCRIPTION_MAX = 100;

/**
 * The SendGrid unsubscribe group of one client's mail of one category, created through SendGrid's API the
 * first time it is needed and recorded in sendgrid_unsubscribe_groups. Every client has its own, so a
 * suppression written for one client never stops another client's mail to the same address.
 * Creation is serialised per (client, category) by a transaction-scoped advisory lock; a group created
 * by an attempt that died before recording it is found again by the client id its description carries,
 * so retries never create a second group. 429/5xx fail with a retryable ProviderUnavailable.
 */
export async function unsubscribeGroupId(deps: Pick<ActivityDeps, 'orm' | 'sendgrid'>, clientId: string, category: GroupCategory): Promise<number> {
  const recorded = (em: EntityManager) => em.execute<{ group_id: number }[]>(
    'select group_id from sendgrid_unsubscribe_groups where client_id = ? and category = ?', [clientId, category]);
  const [known] = await withClient(deps.orm.em, clientId, recorded);
  if (known) return known.group_id;
  return withClient(deps.orm.em, clientId, async (em) => {
    await em.execute('select pg_advisory_xact_lock(hashtextextended(?, 0))', [`sendgrid-unsubscribe-group:${clientId}:${category}`]);
    const [again] = await recorded(em);
    if (again) return again.group_id;
    const [client] = await em.execute<{ name: string }[]>('select name from clients where id = ?', [clientId]);
    const group = await findOrCreateGroup(deps.sendgrid.client, clientId, client?.name ?? '', category);
    await em.execute('insert into sendgrid_unsubscribe_groups (client_id, category, group_id) values (?, ?, ?)', [clientId, category, group.id]);
    return group.id;
  });
}

/** What ties a group to its client and category whatever the client is called: the end of its description. */
const marker = (clientId: string, category: GroupCategory) => `[${category} ${clientId}]`;

async function findOrCreateGroup(client: Client, clientId: string, clientName: string, category: GroupCategory): Promise<SendGridGroup> {
  const tag = marker(clientId, category);
  try {
    const [, existing] = await client.request({ method: 'GET', url: '/v3/asm/groups' });
    const found = (existing as SendGridGroup[]).find((group) => group.description?.endsWith(tag));
    if (found) return found;
    // Recipients may see these in SendGrid's preference pages: say whose mail it is. The id prefix keeps names unique.
    const name = `${clientId.slice(0, 8)} ${category}: ${clientName}`.slice(0, NAME_MAX).trim();
    const description = `${`${category[0].toUpperCase()}${category.slice(1)} email from ${clientName}`.slice(0, DESCRIPTION_MAX - tag.length - 1)} ${tag}`;
    const [, created] = await client.request({ method: 'POST', url: '/v3/asm/groups', body: { name, description, is_default: false } });
    return created as SendGridGroup;
  } catch (error) {
    throw providerFailure(error);
  }
}
