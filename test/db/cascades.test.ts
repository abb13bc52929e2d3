import { Pool } from 'pg';
import { type TestDatabase, createTestDatabase } from '../support/database';
import { type TenantRows, seedTenant, TENANT_TABLES } from '../support/tenant-rows';

/** What deleting a parent does to its children: ON DELETE CASCADE, SET NULL or RESTRICT, as the seeds say. */
describe('foreign keys: cascades, SET NULL and RESTRICT', () => {
  let db: TestDatabase;
  let owner: Pool;

  const count = async (table: string, where: string, params: unknown[]) =>
    (await owner.query<{ count: number }>(`select count(*)::int as count from ${table} where ${where}`, params)).rows[0].count;
  const column = async (table: string, name: string, id: string) =>
    (await owner.query(`select ${name} as value from ${table} where id = $1`, [id])).rows[0].value as unknown;
  const remove = (table: string, id: string) => owner.query(`delete from ${table} where id = $1`, [id]);

  beforeAll(async () => {
    db = await createTestDatabase();
    owner = new Pool({ connectionString: db.ownerUrl, max: 2 });
  });
  afterAll(async () => {
    await owner?.end();
    await db?.drop();
  });

  it('deleting a client deletes everything it owns, and nothing of another client', async () => {
    const [gone, kept] = [await seedTenant(owner), await seedTenant(owner)];
    await remove('clients', gone.clientId);
    for (const [table, key] of Object.entries(TENANT_TABLES)) {
      expect({ table, gone: await count(table, `${key} = $1`, [gone.clientId]), kept: await count(table, `${key} = $1`, [kept.clientId]) > 0 })
        .toEqual({ table, gone: 0, kept: true });
    }
  });

  it('deleting a donor deletes their gifts, sends, preferences, threads and ledger rows; payments and tickets keep, unattributed', async () => {
    const r: TenantRows = await seedTenant(owner);
    await remove('donors', r.donorId);
    for (const table of ['donations', 'email_sends', 'notification_preferences', 'conversations', 'messages', 'campaign_recipients', 'campaign_deliveries']) {
      expect({ table, rows: await count(table, 'client_id = $1', [r.clientId]) }).toEqual({ table, rows: 0 });
    }
    expect(await column('payments', 'donor_id', r.paymentId)).toBeNull();
    expect(await column('event_tickets', 'array[donor_id, checked_in_by]', r.ticketId)).toEqual([null, null]);
  });

  it('a send outside any campaign must name an existing donor, and goes with that donor', async () => {
    const r = await seedTenant(owner);
    const send = (donorId: string) => owner.query<{ id: string }>(
      `insert into email_sends (client_id, donor_id, email_address, status) values ($1, $2, 'outside@donors.test', 'sent') returning id`, [r.clientId, donorId]);
    await expect(send('00000000-0000-4000-8000-000000000000')).rejects.toMatchObject({ code: '23503', constraint: 'email_sends_donor_outside_campaign_fkey' });
    const { rows: [outside] } = await send(r.donorId);
    await remove('donors', r.donorId);
    expect(await count('email_sends', 'id = $1', [outside.id])).toBe(0);
  });

  it('deleting a campaign deletes its steps, audience, ledgers and usage; gifts, payments and threads keep, unattributed', async () => {
    const r = await seedTenant(owner);
    await remove('campaigns', r.campaignId);
    for (const table of ['track15_narrative_steps', 'email_sends', 'campaign_recipients', 'campaign_deliveries', 'budget_spend', 'campaign_profile_usage']) {
      expect({ table, rows: await count(table, 'client_id = $1', [r.clientId]) }).toEqual({ table, rows: 0 });
    }
    expect(await column('donations', 'campaign_id', r.donationId)).toBeNull();
    expect(await column('payments', 'campaign_id', r.paymentId)).toBeNull();
    expect(await column('conversations', 'campaign_id', r.conversationId)).toBeNull();
  });

  it('deleting a payment or a content version unlinks what referred to it; the ledger outlives an email send', async () => {
    const r = await seedTenant(owner);
    await owner.query('select make_content_version_current($1)', [r.contentVersionId]);
    expect(await column('clients', 'current_version_id', r.clientId)).toBe(r.contentVersionId);
    await remove('payments', r.paymentId);
    expect(await column('donations', 'payment_id', r.donationId)).toBeNull();
    expect(await column('event_tickets', 'payment_id', r.ticketId)).toBeNull();
    await remove('email_sends', r.emailSendId);
    expect(await count('campaign_deliveries', `client_id = $1 and status = 'sent'`, [r.clientId])).toBe(1);
    await remove('content_versions', r.contentVersionId);
    expect(await column('clients', 'current_version_id', r.clientId)).toBeNull();
  });

  it('a ticket type that tickets use, and profiles that a container groups, cannot be deleted', async () => {
    const r = await seedTenant(owner);
    await expect(remove('ticket_types', r.ticketTypeId)).rejects.toMatchObject({ code: '23503' });
    for (const [table, id] of [['target_customer_profiles', r.profileId], ['brand_guidelines', r.guidelineId], ['budgets', r.budgetId]]) {
      await expect(remove(table, id)).rejects.toMatchObject({ code: '23503', table: 'customer_profile_containers' });
    }
  });

  it('deleting an event, a conversation, a container or a budget deletes what hangs off it', async () => {
    const r = await seedTenant(owner);
    await remove('events', r.eventId);
    expect([await count('ticket_types', 'client_id = $1', [r.clientId]), await count('event_tickets', 'client_id = $1', [r.clientId])]).toEqual([0, 0]);
    await remove('conversations', r.conversationId);
    expect(await count('messages', 'client_id = $1', [r.clientId])).toBe(0);
    await remove('customer_profile_containers', r.containerId);
    expect(await count('campaign_profile_usage', 'client_id = $1', [r.clientId])).toBe(0);
    await remove('budgets', r.budgetId);
    expect([await count('budget_spend', 'client_id = $1', [r.clientId]), await count('budget_alert_events', 'client_id = $1', [r.clientId])]).toEqual([0, 0]);
  });
});
