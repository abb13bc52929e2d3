import type { MigrationObject } from '@mikro-orm/core';
import { Migration20261125000000Roles } from './Migration20261125000000Roles';
import { Migration20261125000100Core } from './Migration20261125000100Core';
import { Migration20261125000200Activation } from './Migration20261125000200Activation';
import { Migration20261125000300Engagement } from './Migration20261125000300Engagement';
import { Migration20261125000400Profiles } from './Migration20261125000400Profiles';
import { Migration20261125000500Journeys } from './Migration20261125000500Journeys';
import { Migration20261125000600Orchestration } from './Migration20261125000600Orchestration';
import { Migration20261125000700TenantIsolation } from './Migration20261125000700TenantIsolation';
import { Migration20261125000800WebhookDedupAndKeyAuth } from './Migration20261125000800WebhookDedupAndKeyAuth';
import { Migration20261125000900RfmCalculatedAt } from './Migration20261125000900RfmCalculatedAt';
import { Migration20261125001000DonationsCoveringIndex } from './Migration20261125001000DonationsCoveringIndex';
import { Migration20261125001100LedgerWithoutEmailSendLink } from './Migration20261125001100LedgerWithoutEmailSendLink';
import { Migration20261130030000EmailFacts } from './Migration20261130030000EmailFacts';
import { Migration20261130080000LaunchSettings } from './Migration20261130080000LaunchSettings';
import { Migration20261130030100UnsubscribeGroups } from './Migration20261130030100UnsubscribeGroups';
import { Migration20261130040000MoneyCurrency } from './Migration20261130040000MoneyCurrency';
import { Migration20261130105000ProfilesApi } from './Migration20261130105000ProfilesApi';
import { Migration20261130103000RecipientTimeZones } from './Migration20261130103000RecipientTimeZones';
import { Migration20261130104000Rehearsals } from './Migration20261130104000Rehearsals';
import { Migration20261130105100DonorCare } from './Migration20261130105100DonorCare';
import { Migration20261130101000StatusCounters } from './Migration20261130101000StatusCounters';

/** Applied in this order; a new migration is appended here. */
export const migrationsList: MigrationObject[] = [
  { name: 'Migration20261125000000Roles', class: Migration20261125000000Roles },
  { name: 'Migration20261125000100Core', class: Migration20261125000100Core },
  { name: 'Migration20261125000200Activation', class: Migration20261125000200Activation },
  { name: 'Migration20261125000300Engagement', class: Migration20261125000300Engagement },
  { name: 'Migration20261125000400Profiles', class: Migration20261125000400Profiles },
  { name: 'Migration20261125000500Journeys', class: Migration20261125000500Journeys },
  { name: 'Migration20261125000600Orchestration', class: Migration20261125000600Orchestration },
  { name: 'Migration20261125000700TenantIsolation', class: Migration20261125000700TenantIsolation },
  { name: 'Migration20261125000800WebhookDedupAndKeyAuth', class: Migration20261125000800WebhookDedupAndKeyAuth },
  { name: 'Migration20261125000900RfmCalculatedAt', class: Migration20261125000900RfmCalculatedAt },
  { name: 'Migration20261125001000DonationsCoveringIndex', class: Migration20261125001000DonationsCoveringIndex },
  { name: 'Migration20261125001100LedgerWithoutEmailSendLink', class: Migration20261125001100LedgerWithoutEmailSendLink },
  { name: 'Migration20261130030000EmailFacts', class: Migration20261130030000EmailFacts },
  { name: 'Migration20261130080000LaunchSettings', class: Migration20261130080000LaunchSettings },
  { name: 'Migration20261130030100UnsubscribeGroups', class: Migration20261130030100UnsubscribeGroups },
  { name: 'Migration20261130040000MoneyCurrency', class: Migration20261130040000MoneyCurrency },
  { name: 'Migration20261130105000ProfilesApi', class: Migration20261130105000ProfilesApi },
  { name: 'Migration20261130103000RecipientTimeZones', class: Migration20261130103000RecipientTimeZones },
  { name: 'Migration20261130104000Rehearsals', class: Migration20261130104000Rehearsals },
  { name: 'Migration20261130105100DonorCare', class: Migration20261130105100DonorCare },
  { name: 'Migration20261130101000StatusCounters', class: Migration20261130101000StatusCounters },
];
