import { Migration } from '@mikro-orm/migrations';

const TENANT_OR_UNATTRIBUTED = '(client_id is null or client_id = app_current_client_id())';

/**
 * Two refinements of tenant isolation. A webhook is deduplicated before its client is known, so the
 * application may see and record events with no client (they hold only a provider's event id) as well
 * as its own client's. And only the application and operator roles may call authenticate_api_key(),
 * the definer-rights function that reads every key's hash.
 */
export class Migration20261125000800WebhookDedupAndKeyAuth extends Migration {
  override async up(): Promise<void> {
    this.addSql('drop policy tenant_isolation on processed_webhook_events;');
    this.addSql(`create policy tenant_isolation on processed_webhook_events for all to track15_app
                   using ${TENANT_OR_UNATTRIBUTED} with check ${TENANT_OR_UNATTRIBUTED};`);
    this.addSql('revoke execute on function authenticate_api_key(text) from public;');
    this.addSql('grant execute on function authenticate_api_key(text) to track15_app, track15_operator;');
  }

  override async down(): Promise<void> {
    this.addSql('revoke execute on function authenticate_api_key(text) from track15_app, track15_operator;');
    this.addSql('grant execute on function authenticate_api_key(text) to public;');
    this.addSql('drop policy tenant_isolation on processed_webhook_events;');
    this.addSql(`create policy tenant_isolation on processed_webhook_events for all to track15_app
                   using (client_id = app_current_client_id()) with check (client_id = app_current_client_id());`);
  }
}
