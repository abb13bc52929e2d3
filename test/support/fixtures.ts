import { randomUUID } from 'node:crypto';
import { Pool } from 'pg';
import { type CoreStory, type Season, buildNarrativeSteps } from '../../domain/campaigns/narrative';
import type { RfmSegment } from '../../domain/rfm';

/**
 * Arranges test data as the table owner (row-level security does not apply to it), so fixtures never
 * depend on the code under test.
 */
export class Fixtures {
  readonly pool: Pool;

  constructor(ownerUrl: string) {
    this.pool = new Pool({ connectionString: ownerUrl, max: 4 });
  }

  async query<T extends object = Record<string, unknown>>(sql: string, params: unknown[] = []): Promise<T[]> {
    return (await this.pool.query<T>(sql, params)).rows;
  }

  /** A client with a complete sender identity (activation requires one); a test of its absence clears it. */
  async client(name = 'Test Client'): Promise<string> {
    const [row] = await this.query<{ id: string }>(
      `insert into clients (name, sender_from_name, sender_from_email, postal_address) values ($1, $1, $2, $3) returning id`,
      [name, SENDER_EMAIL, POSTAL_ADDRESS],
    );
    return row.id;
  }

  /** Inserts donors in one statement; returns their ids in the given order (each needs a distinct email or phone). */
  async donors(clientId: string, donors: DonorSeed[]): Promise<string[]> {
    const rows = await this.query<{ id: string; key: string }>(
      `insert into donors (client_id, email, phone, first_name, last_name, rfm_segment, email_suppressed_at, email_suppression_reason)
       select $1, x.email, x.phone, x.first_name, x.last_name, x.segment,
              case when x.suppressed then now() end, case when x.suppressed then 'bounce' end
         from json_to_recordset($2::json) as x(email text, phone text, first_name text, last_name text, segment text, suppressed boolean)
       returning id, coalesce(email, phone) as key`,
      [clientId, JSON.stringify(donors.map((d) => ({ ...d, suppressed: d.suppressed ?? false })))],
    );
    const ids = new Map(rows.map((row) => [row.key, row.id]));
    return donors.map((d) => ids.get((d.email ?? d.phone)!)!);
  }

  async unsubscribe(clientId: string, donorId: string, category: 'marketing' | 'all' = 'all'): Promise<void> {
    await this.query(
      `insert into notification_preferences (client_id, donor_id, category, email_enabled, unsubscribed_at)
       values ($1, $2, $3, false, now())`,
      [clientId, donorId, category],
    );
  }

  async donation(clientId: string, donorId: string, amount: number, options: { campaignId?: string; at?: Date } = {}): Promise<void> {
    await this.query(
      `insert into donations (client_id, donor_id, campaign_id, amount, donated_at) values ($1, $2, $3, $4, $5)`,
      [clientId, donorId, options.campaignId ?? null, amount, options.at ?? new Date()],
    );
  }

  /**
   * An online payment as the Stripe webhook leaves it: `amountMinor` in the currency's minor units, and,
   * once it succeeded (or was refunded), the gift it recorded in the client's currency. Returns both ids.
   */
  async payment(clientId: string, donorId: string, amountMinor: number, options: PaymentSeed = {}): Promise<{ paymentId: string; donationId: string | null }> {
    const status = options.status ?? 'succeeded';
    const currency = options.currency ?? 'usd';
    const [payment] = await this.query<{ id: string }>(
      `insert into payments (client_id, donor_id, stripe_payment_intent_id, amount, currency, status, failure_reason)
       values ($1, $2, 'pi_' || md5(random()::text), $3, $4, $5, $6) returning id`,
      [clientId, donorId, amountMinor, currency, status, status === 'failed' ? 'card_declined' : null]);
    if (status !== 'succeeded' && status !== 'refunded') return { paymentId: payment.id, donationId: null };
    const [donation] = await this.query<{ id: string }>(
      `insert into donations (client_id, donor_id, amount, currency, status, source, payment_id, stripe_payment_intent_id)
       select client_id, donor_id, $2, currency, status, 'stripe', id, stripe_payment_intent_id from payments where id = $1 returning id`,
      [payment.id, options.donationAmount ?? amountMinor / 100]);
    return { paymentId: payment.id, donationId: donation.id };
  }

  /**
   * A published event with one ticket type ($25, `capacity` seats) and one paid order of one ticket for
   * the donor, as the webhook leaves it. Returns the ids, the ticket's number and check-in code.
   */
  async ticketedEvent(clientId: string, donorId: string, options: { name?: string; capacity?: number } = {}): Promise<TicketedEvent> {
    const [event] = await this.query<{ id: string }>(
      `insert into events (client_id, name, starts_at, status) values ($1, $2, now() + interval '30 days', 'published') returning id`,
      [clientId, options.name ?? 'Gala']);
    const [type] = await this.query<{ id: string }>(
      `insert into ticket_types (client_id, event_id, name, unit_amount, currency, capacity, sold) values ($1, $2, 'Standard', 2500, 'usd', $3, 1) returning id`,
      [clientId, event.id, options.capacity ?? 100]);
    const { paymentId } = await this.payment(clientId, donorId, 2500);
    const [order] = await this.query<{ id: string }>(
      `insert into ticket_orders (client_id, event_id, donor_id, status, currency, amount_total, hold_expires_at, payment_id, stripe_payment_intent_id, paid_at)
       select $1, $2, $3, 'paid', 'usd', 2500, now(), id, stripe_payment_intent_id, now() from payments where id = $4 returning id`,
      [clientId, event.id, donorId, paymentId]);
    const ticketNumber = `${randomCode(4)}-${randomCode(4)}`;
    const checkInCode = randomCode(16);
    const [ticket] = await this.query<{ id: string }>(
      `insert into event_tickets (client_id, event_id, donor_id, ticket_type_id, order_id, ticket_number, check_in_code, unit_amount, currency, status, payment_id)
       values ($1, $2, $3, $4, $5, $6, $7, 2500, 'usd', 'paid', $8) returning id`,
      [clientId, event.id, donorId, type.id, order.id, ticketNumber, checkInCode, paymentId]);
    return { eventId: event.id, ticketTypeId: type.id, orderId: order.id, ticketId: ticket.id, ticketNumber, checkInCode };
  }

  /** The receipt of a gift, numbered next in its client's current year (as activities/giving/receipts.ts issues them). */
  async receipt(clientId: string, donationId: string): Promise<string> {
    const [receipt] = await this.query<{ id: string }>(
      `with counter as (
         insert into receipt_counters (client_id, year, last_number) values ($1, extract(year from now())::int, 1)
         on conflict (client_id, year) do update set last_number = receipt_counters.last_number + 1 returning year, last_number)
       insert into receipts (client_id, donation_id, donor_id, year, number, amount, currency)
       select $1, d.id, d.donor_id, counter.year, counter.last_number, (d.amount * 100)::int, d.currency from donations d, counter where d.id = $2
       returning id`, [clientId, donationId]);
    return receipt.id;
  }

  /** A Track15 campaign ready for launch, its 15 steps generated from the season template. */
  async track15Campaign(clientId: string, options: CampaignSeed = {}): Promise<string> {
    const [campaign] = await this.query<{ id: string }>(
      `insert into campaigns (client_id, name, track15_enabled, track15_season, track15_stage, track15_core_story,
                              track15_day_length_seconds, track15_send_hour, track15_control_share, track15_control_treatment)
       values ($1, $2, true, $3, 'ready_for_launch', $4, $5, $6, $7, $8) returning id`,
      [clientId, options.name ?? 'Spring Food Security', options.season ?? 'spring', JSON.stringify(options.story ?? STORY),
        options.dayLengthSeconds ?? 86_400, options.sendHour ?? 0, options.controlShare ?? 0.1, options.controlTreatment ?? 'holdout'],
    );
    const steps = buildNarrativeSteps(options.season ?? 'spring', options.story ?? STORY);
    await this.query(
      `insert into track15_narrative_steps (campaign_id, client_id, step_number, stage, day, subject_line, message, call_to_action, segment_customization)
       select $1, $2, x.step_number, x.stage, x.day, x.subject_line, x.message, x.call_to_action, x.segment_customization
         from json_to_recordset($3::json) as x(step_number int, stage text, day int, subject_line text, message text, call_to_action text, segment_customization jsonb)`,
      [campaign.id, clientId, JSON.stringify(steps)],
    );
    return campaign.id;
  }

  /**
   * Seed 004's set for one client: a target profile, brand guidelines, a budget and a container grouping
   * the three (so the container holds the others with ON DELETE RESTRICT). Names carry `label`.
   */
  async profileSet(clientId: string, label = 'Fixture'): Promise<ProfileSetIds> {
    const [{ id: profileId }] = await this.query<{ id: string }>(
      `insert into target_customer_profiles (client_id, name, demographics) values ($1, $2, '{"ageRange":{"min":25,"max":40}}') returning id`,
      [clientId, `${label} families`]);
    const [{ id: guidelineId }] = await this.query<{ id: string }>(
      'insert into brand_guidelines (client_id, brand_name) values ($1, $2) returning id', [clientId, `${label} brand`]);
    const [{ id: budgetId }] = await this.query<{ id: string }>(
      'insert into budgets (client_id, name, amount) values ($1, $2, 100) returning id', [clientId, `${label} budget`]);
    const [{ id: containerId }] = await this.query<{ id: string }>(
      `insert into customer_profile_containers (client_id, name, customer_profile_id, brand_guidelines_id, budget_id)
       values ($1, $2, $3, $4, $5) returning id`, [clientId, `${label} container`, profileId, guidelineId, budgetId]);
    return { profileId, guidelineId, budgetId, containerId };
  }

  /**
   * The client's budget alert settings (an address, a webhook URL, a signing secret) and one fired alert of
   * the budget with a failed webhook attempt, as the owner. Answers the alert's id and the secret.
   */
  async budgetAlert(clientId: string, budgetId: string, label = 'fixture'): Promise<{ alertId: string; signingSecret: string }> {
    const signingSecret = `whsec_${label}_${randomUUID()}`;
    await this.query(
      `insert into budget_alert_settings (client_id, email, webhook_url, signing_secret) values ($1, $2, $3, $4)
       on conflict (client_id) do update set signing_secret = excluded.signing_secret`,
      [clientId, `${label}-finance@client.test`, `https://${label}.hooks.test/alerts`, signingSecret]);
    const [{ id: alertId }] = await this.query<{ id: string }>(
      `insert into budget_alert_events (budget_id, client_id, threshold_percent, percentage_spent, amount_spent, handed_at, email_status)
       values ($1, $2, 80, 81.5, 81.50, now(), 'delivered') returning id`, [budgetId, clientId]);
    await this.query(
      `insert into budget_alert_attempts (client_id, alert_id, channel, attempt, target, finished_at, outcome, http_status, error)
       values ($1, $2, 'webhook', 1, $3, now(), 'failed', 500, 'answered 500')`, [clientId, alertId, `https://${label}.hooks.test/alerts`]);
    return { alertId, signingSecret };
  }

  /** A content version of one page type (seed 003), inserted as the owner; current when asked. */
  async contentVersion(clientId: string, pageType: string, content: Record<string, unknown>, current = false): Promise<string> {
    const [{ id }] = await this.query<{ id: string }>(
      'insert into content_versions (client_id, page_type, content) values ($1, $2, $3) returning id', [clientId, pageType, JSON.stringify(content)]);
    if (current) await this.query('select make_content_version_current($1)', [id]);
    return id;
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}

export interface ProfileSetIds { profileId: string; guidelineId: string; budgetId: string; containerId: string }

export interface TicketedEvent { eventId: string; ticketTypeId: string; orderId: string; ticketId: string; ticketNumber: string; checkInCode: string }

/** Characters of Crockford's base 32, as ticket numbers use. */
function randomCode(length: number): string {
  const alphabet = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
  return Array.from({ length }, () => alphabet[Math.floor(Math.random() * alphabet.length)]).join('');
}

export interface DonorSeed {
  email?: string | null;
  phone?: string;
  first_name?: string;
  last_name?: string;
  segment?: RfmSegment | null;
  suppressed?: boolean;
}

export interface PaymentSeed {
  status?: 'pending' | 'succeeded' | 'failed' | 'cancelled' | 'refunded';
  /** Lowercase ISO code; the client's reporting currency when it records a gift. */
  currency?: string;
  /** The gift's amount in major units, when the minor units are not cents. */
  donationAmount?: number;
}

export interface CampaignSeed {
  name?: string;
  season?: Season;
  story?: CoreStory;
  dayLengthSeconds?: number;
  sendHour?: number;
  controlShare?: number;
  controlTreatment?: 'holdout' | 'standard_appeal';
}

/** The sender identity Fixtures.client() gives every test client. */
export const SENDER_EMAIL = 'campaigns@client.test';
export const POSTAL_ADDRESS = '12 Harbour Street\nPortland, ME 04101';

export const STORY: CoreStory = {
  headline: 'Feed 500 Families This Spring',
  summary: 'Every $50 provides a week of groceries for a family facing food insecurity.',
  value_proposition: 'Your $50 gift provides tangible, measurable impact.',
  donor_motivation: 'Because every child deserves to go to bed with a full stomach.',
};

/** A text step's message long enough to be billed as more than one segment (budgets pay per segment). */
export const LONG_MESSAGE = 'Every week, families in our city face empty shelves. Your neighbours are counting on us, and we are counting on you. '
  + 'A gift today keeps the pantry open all winter long.';

/**
 * A zone whose wall clock reads about `hour`:00 at `instant` (Etc zones: a fixed offset, no DST), so a
 * donor there is inside or outside the SMS hours (08:00-21:00 local) whenever a test runs.
 */
export function zoneAt(hour: number, instant = Date.now()): string {
  let offset = hour - new Date(instant).getUTCHours();
  if (offset > 14) offset -= 24;
  if (offset < -12) offset += 24;
  // Etc/GMT-5 is five hours ahead of UTC (POSIX signs).
  return offset === 0 ? 'Etc/GMT' : `Etc/GMT${offset > 0 ? '-' : '+'}${Math.abs(offset)}`;
}
