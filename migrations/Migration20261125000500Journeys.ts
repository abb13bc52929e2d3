import { Migration } from '@mikro-orm/migrations';

/** Seed 001: SMS conversations with opt-out compliance, their messages, and the journey analytics view. */
export class Migration20261125000500Journeys extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      create table conversations (
        id uuid primary key default gen_random_uuid(),
        client_id uuid not null references clients(id) on delete cascade,
        donor_id uuid not null references donors(id) on delete cascade,
        customer_phone varchar(20) not null,
        brand_phone varchar(20) not null,
        status varchar(20) not null default 'active' constraint chk_conversations_status check (status in ('active', 'paused', 'completed', 'archived')),
        campaign_id uuid references campaigns(id) on delete set null,
        campaign_name varchar(255),
        message_count integer not null default 0 constraint chk_conversations_message_count check (message_count >= 0),
        last_message_at timestamptz,
        last_inbound_at timestamptz,
        last_outbound_at timestamptz,
        opted_out_at timestamptz,
        opt_out_reason text,
        metadata jsonb,
        tags text[],
        created_at timestamptz not null default now(),
        updated_at timestamptz not null default now(),
        constraint conversations_brand_phones_unique unique (client_id, customer_phone, brand_phone)
      );`);
    this.addSql('create index idx_conversations_client on conversations(client_id);');
    this.addSql('create index idx_conversations_donor on conversations(donor_id);');
    this.addSql('create index idx_conversations_phones on conversations(customer_phone, brand_phone);');
    this.addSql('create index idx_conversations_last_message on conversations(last_message_at desc nulls last);');
    this.addSql('create index idx_conversations_status on conversations(client_id, status);');
    this.addSql('create trigger update_conversations_updated_at before update on conversations for each row execute function update_updated_at_column();');

    this.addSql(`
      create table messages (
        id uuid primary key default gen_random_uuid(),
        client_id uuid not null references clients(id) on delete cascade,
        conversation_id uuid not null references conversations(id) on delete cascade,
        direction varchar(10) not null constraint chk_messages_direction check (direction in ('inbound', 'outbound')),
        content text not null,
        media_urls text[],
        status varchar(20) constraint chk_messages_status check (status in ('pending', 'sent', 'delivered', 'failed', 'undelivered')),
        external_id varchar(255),
        sent_at timestamptz not null default now(),
        delivered_at timestamptz,
        created_at timestamptz not null default now(),
        metadata jsonb
      );`);
    this.addSql('create index idx_messages_conversation on messages(conversation_id);');
    this.addSql('create index idx_messages_sent_at on messages(sent_at desc);');
    this.addSql('create index idx_messages_direction on messages(direction);');

    // security_invoker: the view reads with the caller's rights, so row-level security still applies.
    this.addSql(`
      create view customer_analytics with (security_invoker = true) as
      select client_id, stage, source,
             count(*) as count,
             count(*) filter (where created_at >= now() - interval '30 days') as count_30d,
             avg(extract(epoch from (subscribed_at - created_at)) / 86400) filter (where subscribed_at is not null) as avg_days_to_subscription
        from donors
       where is_active
       group by client_id, stage, source;`);
  }

  override async down(): Promise<void> {
    this.addSql('drop view if exists customer_analytics;');
    this.addSql('drop table if exists messages;');
    this.addSql('drop table if exists conversations;');
  }
}
