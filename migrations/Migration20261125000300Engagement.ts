import { Migration } from '@mikro-orm/migrations';

/** Seed 002 (Epic-01): email send tracking, notification preferences, events and tickets. */
export class Migration20261125000300Engagement extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      create table email_sends (
        id uuid primary key default gen_random_uuid(),
        client_id uuid not null references clients(id) on delete cascade,
        campaign_id uuid references campaigns(id) on delete cascade,
        donor_id uuid references donors(id) on delete cascade,
        step_number smallint,
        email_address text not null,
        status text not null default 'pending' constraint chk_email_sends_status
          check (status in ('pending', 'sent', 'delivered', 'opened', 'clicked', 'bounced', 'failed', 'spamreport', 'unsubscribed')),
        sendgrid_message_id text,
        sent_at timestamptz,
        delivered_at timestamptz,
        opened_at timestamptz,
        clicked_at timestamptz,
        bounced_at timestamptz,
        bounce_reason text,
        created_at timestamptz not null default now(),
        updated_at timestamptz not null default now()
      );`);
    this.addSql('create index idx_email_sends_campaign on email_sends(campaign_id);');
    this.addSql('create index idx_email_sends_donor on email_sends(donor_id);');
    this.addSql('create index idx_email_sends_sent_at on email_sends(sent_at);');
    this.addSql('create index idx_email_sends_message on email_sends(sendgrid_message_id);');
    this.addSql('create unique index email_sends_campaign_step_donor_unique on email_sends(campaign_id, step_number, donor_id) where campaign_id is not null;');
    this.addSql('create trigger update_email_sends_updated_at before update on email_sends for each row execute function update_updated_at_column();');

    this.addSql(`
      create table notification_preferences (
        id uuid primary key default gen_random_uuid(),
        client_id uuid not null references clients(id) on delete cascade,
        donor_id uuid not null references donors(id) on delete cascade,
        category text not null constraint chk_notification_preferences_category check (category in ('marketing', 'transactional', 'events', 'newsletter', 'all')),
        email_enabled boolean not null default true,
        sms_enabled boolean not null default false,
        push_enabled boolean not null default false,
        unsubscribed_at timestamptz,
        created_at timestamptz not null default now(),
        updated_at timestamptz not null default now(),
        unique (donor_id, client_id, category)
      );`);
    this.addSql('create trigger update_notification_preferences_updated_at before update on notification_preferences for each row execute function update_updated_at_column();');

    this.addSql(`
      create table events (
        id uuid primary key default gen_random_uuid(),
        client_id uuid not null references clients(id) on delete cascade,
        name varchar(255) not null,
        description text,
        starts_at timestamptz not null,
        ends_at timestamptz,
        venue text,
        capacity integer constraint chk_events_capacity check (capacity is null or capacity >= 0),
        status varchar(20) not null default 'draft' constraint chk_events_status check (status in ('draft', 'published', 'cancelled', 'completed')),
        metadata jsonb not null default '{}',
        created_at timestamptz not null default now(),
        updated_at timestamptz not null default now(),
        constraint chk_events_ends_after_start check (ends_at is null or ends_at >= starts_at)
      );`);
    this.addSql('create index idx_events_client_starts on events(client_id, starts_at);');
    this.addSql('create trigger update_events_updated_at before update on events for each row execute function update_updated_at_column();');

    this.addSql(`
      create table ticket_types (
        id uuid primary key default gen_random_uuid(),
        client_id uuid not null references clients(id) on delete cascade,
        event_id uuid not null references events(id) on delete cascade,
        name varchar(255) not null,
        price decimal(10,2) not null default 0 constraint chk_ticket_types_price check (price >= 0),
        quantity integer constraint chk_ticket_types_quantity check (quantity is null or quantity >= 0),
        created_at timestamptz not null default now(),
        updated_at timestamptz not null default now()
      );`);
    this.addSql('create index idx_ticket_types_event on ticket_types(event_id);');
    this.addSql('create trigger update_ticket_types_updated_at before update on ticket_types for each row execute function update_updated_at_column();');

    this.addSql(`
      create table event_tickets (
        id uuid primary key default gen_random_uuid(),
        client_id uuid not null references clients(id) on delete cascade,
        event_id uuid not null references events(id) on delete cascade,
        donor_id uuid references donors(id) on delete set null,
        ticket_type_id uuid references ticket_types(id) on delete restrict,
        ticket_number text unique not null,
        status text not null default 'pending' constraint chk_event_tickets_status check (status in ('pending', 'paid', 'cancelled', 'refunded', 'checked_in')),
        payment_id uuid references payments(id) on delete set null,
        amount_paid decimal(10,2) constraint chk_event_tickets_amount check (amount_paid is null or amount_paid >= 0),
        purchase_date timestamptz not null default now(),
        checked_in_at timestamptz,
        checked_in_by uuid references donors(id) on delete set null,
        metadata jsonb not null default '{}',
        created_at timestamptz not null default now(),
        updated_at timestamptz not null default now()
      );`);
    this.addSql('create index idx_event_tickets_event on event_tickets(event_id);');
    this.addSql('create index idx_event_tickets_donor on event_tickets(donor_id);');
    this.addSql('create trigger update_event_tickets_updated_at before update on event_tickets for each row execute function update_updated_at_column();');
  }

  override async down(): Promise<void> {
    this.addSql('drop table if exists event_tickets;');
    this.addSql('drop table if exists ticket_types;');
    this.addSql('drop table if exists events;');
    this.addSql('drop table if exists notification_preferences;');
    this.addSql('drop table if exists email_sends;');
  }
}
