/** Entity definitions (MikroORM defineEntity), one per table of DESIGN.md §3; the schema itself comes from migrations/. */
import { clientEntities } from './client';
import { engagementEntities } from './engagement';
import { fundraisingEntities } from './fundraising';
import { givingEntities } from './giving';
import { journeyEntities } from './journeys';
import { orchestrationEntities } from './orchestration';
import { profileEntities } from './profiles';

export * from './client';
export * from './engagement';
export * from './fundraising';
export * from './giving';
export * from './journeys';
export * from './orchestration';
export * from './profiles';
export { TENANT_FILTER, type TenantFilterArgs } from './tenant';

export const allEntities = [
  ...clientEntities,
  ...fundraisingEntities,
  ...givingEntities,
  ...engagementEntities,
  ...profileEntities,
  ...journeyEntities,
  ...orchestrationEntities,
];
