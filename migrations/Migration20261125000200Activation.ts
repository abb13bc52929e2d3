import { Migration } from '@mikro-orm/migrations';

/**
 * Seed 003: client activation pages as content experiments (versions with hypotheses and outcomes,
 * one current version per page type) and Stripe payments linked to the content that converted.
 */
export class Migration20261125000200Activation extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      create table content_versions (
        id uuid primary key default gen_random_uuid(),
        client_id uuid not null references clients(id) on delete cascade,
        page_type varchar(50) not null constraint chk_content_versions_page_type check (page_type in ('activation', 'agreement', 'confirmation', 'processing')),
        content jsonb not null,
        iteration_notes text,
        hypothesis text,
        outcome varchar(20) constraint chk_content_versions_outcome check (outcome in ('success', 'failure', 'pending')),
        is_current boolean not null default false,
        version_number integer not null,
        created_at timestamptz not null default now(),
        created_by text default 'admin',
        metadata jsonb not null default '{}',
        unique (client_id, page_type, version_number)
      );`);
    this.addSql('create index idx_content_versions_client on content_versions(client_id);');
    this.addSql('create unique index idx_content_versions_current on content_versions(client_id, page_type) where is_current = true;');

    // The seed's MAX()+1 trigger hands two concurrent inserts the same number. A counter row, bumped by
    // INSERT … ON CONFLICT DO UPDATE, serialises them and rolls back with a failed insert (no gaps).
    this.addSql(`
      create table content_version_counters (
        client_id uuid not null references clients(id) on delete cascade,
        page_type varchar(50) not null,
        last_number integer not null,
        primary key (client_id, page_type)
      );`);
    this.addSql(`
      create or replace function set_version_number() returns trigger as $$
      begin
        insert into content_version_counters as c (client_id, page_type, last_number)
        values (new.client_id, new.page_type, 1)
        on conflict (client_id, page_type) do update set last_number = c.last_number + 1
        returning last_number into new.version_number;
        return new;
      end;
      $$ language plpgsql;`);
    this.addSql('create trigger set_version_number_trigger before insert on content_versions for each row execute function set_version_number();');

    // Making a version current locks its (client, page type) counter row first, so concurrent calls queue
    // and exactly one current version survives.
    this.addSql(`
      create or replace function make_content_version_current(p_version_id uuid) returns void as $$
      declare
        v content_versions%rowtype;
      begin
        select * into v from content_versions where id = p_version_id;
        if not found then
          raise exception 'content version % not found', p_version_id using errcode = 'P0002';
        end if;
        perform 1 from content_version_counters where client_id = v.client_id and page_type = v.page_type for update;
        update content_versions set is_current = false
         where client_id = v.client_id and page_type = v.page_type and is_current and id <> v.id;
        update content_versions set is_current = true where id = v.id;
        update clients set current_version_id = v.id where id = v.client_id;
      end;
      $$ language plpgsql;`);

    this.addSql('alter table clients add constraint fk_clients_current_version foreign key (current_version_id) references content_versions(id) on delete set null;');

    this.addSql(`
      create table payments (
        id uuid primary key default gen_random_uuid(),
        client_id uuid not null references clients(id) on delete cascade,
        content_version_id uuid references content_versions(id) on delete set null,
        donor_id uuid references donors(id) on delete set null,
        campaign_id uuid references campaigns(id) on delete set null,
        stripe_payment_intent_id varchar(255) unique,
        idempotency_key varchar(255) unique,
        amount integer not null constraint chk_payments_amount_positive check (amount > 0),
        currency char(3) not null default 'usd',
        status varchar(20) not null constraint chk_payments_status check (status in ('pending', 'succeeded', 'failed', 'cancelled', 'refunded')),
        failure_reason text,
        created_at timestamptz not null default now(),
        updated_at timestamptz not null default now()
      );`);
    this.addSql('create index idx_payments_content_version on payments(content_version_id);');
    this.addSql('create index idx_payments_client on payments(client_id, created_at desc);');
    this.addSql('create index idx_payments_donor on payments(donor_id);');
    this.addSql('create trigger update_payments_updated_at before update on payments for each row execute function update_updated_at_column();');
    this.addSql('alter table donations add constraint fk_donations_payment foreign key (payment_id) references payments(id) on delete set null;');
  }

  override async down(): Promise<void> {
    this.addSql('alter table donations drop constraint if exists fk_donations_payment;');
    this.addSql('drop table if exists payments;');
    this.addSql('alter table clients drop constraint if exists fk_clients_current_version;');
    this.addSql('drop function if exists make_content_version_current(uuid);');
    this.addSql('drop table if exists content_versions;');
    this.addSql('drop function if exists set_version_number();');
    this.addSql('drop table if exists content_version_counters;');
  }
}
