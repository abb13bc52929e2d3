import { withClient } from '../domain/db/tenancy';
import type { ActivityDeps } from '.';
import { providerFailure } from './sendgrid';

export interface SuppressionSyncInput { clientId: string; donorId: string }
export interface SuppressionState { email: string | null; global: boolean; marketing: boolean }

/**
 * Makes SendGrid's suppressions say what the donor's preferences say now: "all" is SendGrid's global
 * unsubscribe, "marketing" (campaign mail) its unsubscribe group. It reads the current state rather than
 * replaying a change, so running it twice, late or after a newer change is harmless. 429/5xx fail the
 * activity for Temporal to retry (after Retry-After); a 404 on removal means already removed.
 */
export async function syncSuppression(deps: Pick<ActivityDeps, 'orm' | 'sendgrid' | 'marketingGroupId'>, input: SuppressionSyncInput): Promise<SuppressionState> {
  const state = await withClient(deps.orm.em, input.clientId, async (em) => {
    const [row] = await em.execute<SuppressionState[]>(
      `select d.email,
              exists (select 1 from notification_preferences p where p.donor_id = d.id and p.category = 'all'
                         and (p.unsubscribed_at is not null or not p.email_enabled)) as global,
              exists (select 1 from notification_preferences p where p.donor_id = d.id and p.category = 'marketing'
                         and (p.unsubscribed_at is not null or not p.email_enabled)) as marketing
         from donors d where d.id = ?`, [input.donorId]);
    return row;
  });
  if (!state?.email) return state ?? { email: null, global: false, marketing: false };
  const email = state.email;
  await setSuppressed(deps, '/v3/asm/suppressions/global', email, state.global);
  await setSuppressed(deps, `/v3/asm/groups/${deps.marketingGroupId}/suppressions`, email, state.marketing);
  return state;
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
