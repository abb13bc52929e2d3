import { Migration } from '@mikro-orm/migrations';
import { tenantIsolationSql } from './tenant-policies';

/** The tenant tables this migration adds, by the column that names their client. */
export const TICKET_TENANT_TABLES: Record<string, string> = { ticket_orders: 'client_id', ticket_mails: 'client_id' };

/**
 * Seed 002 (US-01.2) / issue 17: selling, holding, refunding and checking in event tickets.
 * - `events`: when and why an event was cancelled.
 * - `ticket_types`: money as integer minor units plus currency (DESIGN.md §8; `unit_amount` is Stripe's
 *   name) replacing `price` numeric; `capacity` (was `quantity`; null: unlimited) with the `held` and
 *   `sold` counters the purchase moves in one conditional UPDATE, and a CHECK that they never pass it;
 *   sales window, per-order limit, and `donation_amount`: the part of the price that is a gift (the
 *   tax-deductible part of a gala ticket), which alone counts in RFM.
 * - `ticket_orders`: one purchase; held until paid or released (workflow `ticket-order-<id>`).
 * - `event_tickets`: minor units and currency replace `amount_paid`; the order, the check-in code, the
 *   API key that checked it in, the refund asked of Stripe and the gift its donation part recorded.
 * - `ticket_mails`: each transactional mail of an order (receipt, late-payment refund, cancellation),
 *   claimed once before it is sent so a retried activity never sends it twice.
 */
export class Migration20261130124000EventTickets extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table events
      add column cancelled_at timestamptz,
      add column cancellation_reason text;`);

    this.addSql(`alter table ticket_types
      add column description text,
      add column unit_amount integer not null default 0 constraint chk_ticket_types_amount check (unit_amount >= 0),
      add column currency char(3) not null default 'usd',
      add column donation_amount integer not null default 0 constraint chk_ticket_types_donation_amount check (donation_amount >= 0 and donation_amount <= unit_amount),
      add column held integer not null default 0 constraint chk_ticket_types_held check (held >= 0),
      add column sold integer not null default 0 constraint chk_ticket_types_sold check (sold >= 0),
      add column sales_start_at timestamptz,
      add column sales_end_at timestamptz,
      add column max_per_order integer not null default 10 constraint chk_ticket_types_max_per_order check (max_per_order between 1 and 100);`);
    this.addSql('update ticket_types set unit_amount = round(price * 100);');
    this.addSql('alter table ticket_types drop column price;');
    this.addSql('alter table ticket_types rename column quantity to capacity;');
    this.addSql('alter table ticket_types rename constraint chk_ticket_types_quantity to chk_ticket_types_capacity;');
    this.addSql(`alter table ticket_types
      add constraint chk_ticket_types_within_capacity check (capacity is null or held + sold <= capacity),
      add constraint chk_ticket_types_sales_window check (sales_end_at is null or sales_start_at is null or sales_end_at > sales_start_at);`);

    this.addSql(`
      create table ticket_orders (
        id uuid primary key default gen_random_uuid(),
        client_id uuid not null references clients(id) on delete cascade,
        event_id uuid not null references events(id) on delete cascade,
        donor_id uuid references donors(id) on delete set null,
        status varchar(20) not null default 'held' constraint chk_ticket_orders_status check (status in ('held', 'paid', 'expired', 'cancelled')),
        currency char(3) not null,
        amount_total integer not null constraint chk_ticket_orders_amount check (amount_total >= 0),
        hold_expires_at timestamptz not null,
        stripe_checkout_session_id varchar(255),
        checkout_url text,
        stripe_payment_intent_id varchar(255) unique,
        payment_id uuid references payments(id) on delete set null,
        paid_at timestamptz,
        released_at timestamptz,
        late_payment_at timestamptz,
        late_refund_id varchar(255),
        late_refunded_at timestamptz,
        created_at timestamptz not null default now(),
        updated_at timestamptz not null default now()
      );`);
    this.addSql('create index idx_ticket_orders_event on ticket_orders(event_id, status);');
    this.addSql('create index idx_ticket_orders_donor on ticket_orders(donor_id);');
    this.addSql('create trigger update_ticket_orders_updated_at before update on ticket_orders for each row execute function update_updated_at_column();');

    this.addSql(`alter table event_tickets
      add column order_id uuid references ticket_orders(id) on delete cascade,
      add column unit_amount integer not null default 0 constraint chk_event_tickets_unit_amount check (unit_amount >= 0),
      add column donation_amount integer not null default 0 constraint chk_event_tickets_donation_amount check (donation_amount >= 0),
      add column currency char(3) not null default 'usd',
      add column check_in_code varchar(32),
      add column checked_in_by_key_id uuid references api_keys(id) on delete set null,
      add column refund_requested_at timestamptz,
      add column stripe_refund_id varchar(255),
      add column refunded_at timestamptz,
      add column cancelled_at timestamptz,
      add column donation_id uuid references donations(id) on delete set null;`);
    this.addSql('update event_tickets set unit_amount = round(coalesce(amount_paid, 0) * 100);');
    this.addSql('alter table event_tickets drop column amount_paid;');
    this.addSql('create unique index uq_event_tickets_check_in_code on event_tickets(check_in_code);');
    this.addSql('create index idx_event_tickets_order on event_tickets(order_id);');
    this.addSql('create index idx_event_tickets_type_status on event_tickets(ticket_type_id, status);');

    this.addSql(`
      create table ticket_mails (
        client_id uuid not null references clients(id) on delete cascade,
        order_id uuid not null references ticket_orders(id) on delete cascade,
        kind varchar(20) not null constraint chk_ticket_mails_kind check (kind in ('receipt', 'late_refund', 'cancellation')),
        send_key uuid not null default gen_random_uuid(),
        status varchar(10) not null default 'pending' constraint chk_ticket_mails_status check (status in ('pending', 'sent', 'skipped')),
        sendgrid_message_id varchar(255),
        created_at timestamptz not null default now(),
        sent_at timestamptz,
        primary key (order_id, kind)
      );`);
    for (const sql of tenantIsolationSql(TICKET_TENANT_TABLES)) this.addSql(sql);
  }

  override async down(): Promise<void> {
    this.addSql('drop index if exists idx_event_tickets_type_status;');
    this.addSql('drop table if exists ticket_mails;');
    this.addSql(`alter table event_tickets add column amount_paid decimal(10,2) constraint chk_event_tickets_amount check (amount_paid is null or amount_paid >= 0);`);
    this.addSql('update event_tickets set amount_paid = unit_amount / 100.0;');
    this.addSql(`alter table event_tickets drop column order_id, drop column unit_amount, drop column donation_amount, drop column currency,
      drop column check_in_code, drop column checked_in_by_key_id, drop column refund_requested_at, drop column stripe_refund_id,
      drop column refunded_at, drop column cancelled_at, drop column donation_id;`);
    this.addSql('drop table if exists ticket_orders;');
    this.addSql('alter table ticket_types drop constraint chk_ticket_types_within_capacity, drop constraint chk_ticket_types_sales_window;');
    this.addSql('alter table ticket_types rename constraint chk_ticket_types_capacity to chk_ticket_types_quantity;');
    this.addSql('alter table ticket_types rename column capacity to quantity;');
    this.addSql(`alter table ticket_types add column price decimal(10,2) not null default 0 constraint chk_ticket_types_price check (price >= 0);`);
    this.addSql('update ticket_types set price = unit_amount / 100.0;');
    this.addSql(`alter table ticket_types drop column description, drop column unit_amount, drop column currency, drop column donation_amount,
      drop column held, drop column sold, drop column sales_start_at, drop column sales_end_at, drop column max_per_order;`);
    this.addSql('alter table events drop column cancelled_at, drop column cancellation_reason;');
  }
}
