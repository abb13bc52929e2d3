import { withClient } from '../../domain/db/tenancy';
import type { ActivityDeps } from '..';
import { providerFailure } from './sendgrid';
import { unsubscribeGroupId } from './unsubscribe-groups';

export interface SuppressionSyncInput { clientId: string; donorId: string }
export interface SuppressionState {
  email: string | null;
  /** The donor left this client's campaign (marketing) mail, alone or with "all". */
  marketing: boolean;
  /** The client's marketing unsubscribe group the state was written to (null without an address). */
  groupId: number | null;
}

/**
 * Makes SendGrid's suppressions say what the donor's preferences with this client say now. Campaign mail
 * goes out with the client's own marketing unsubscribe group (activities/email/unsubscribe-groups.ts), so the
 * address is added to or removed from that group only: "marketing" and "all" both suppress it there, and
 * nothing is written to SendGrid's account-wide global list, which would stop every client's mail to the
 * address and which any client's later change would erase. It reads the current state rather than
 * replaying a change, so running it twice, late or after a newer change is harmless. 429/5xx fail the
 * activity for Temporal to retry (after Retry-After); a 404 on removal means already removed.
 */
export async function syncSuppression(deps: Pick<ActivityDeps, 'orm' | 'sendgrid'>, input: SuppressionSyncInput): Promise<SuppressionState> {
  const state = await withClient(deps.orm.em, input.clientId, async (em) => {
    const [row] = await em.execute<{ email: string | null; marketing: boolean }[]>(
      `select d.email,
              exists (select 1 from notification_preferences p where p.donor_id = d.id and p.category in ('marketing', 'all')
                         and (p.unsubscribed_at is not null or not p.email_enabled)) as marketing
         from donors d where d.id = ?`, [input.donorId]);
    return row;
  });
  if (!state?.email) return { email: null, marketing: state?.marketing ?? false, groupId: null };
  const groupId = await unsubscribeGroupId(deps, input.clientId, 'marketing');
  await setSuppressed(deps, `/v3/asm/groups/${groupId}/suppressions`, state.email, state.marketing);
  return { ...state, groupId };
}

async function setSuppressed(deps: Pick<ActivityDeps, 'sendgrid'>, list: string, email: string, suppressed: boolean): Promise<void> {
  try {
    if (suppressed) await deps.sendgrid.client.request({ method: 'POST', url: list, body: { recipient_emails: [email] } });
    else await deps.sendgrid.client.request({ method: 'DELETE', url: `${list}/${encodeURIComponent(email)}` });
  } catch (error) {
    if (!suppressed && (error as { code?: number }).code === 404) return;
    throw providerFailure(error);
  }
}
