import type { EntityMetadata } from '@mikro-orm/core';

/**
 * The ORM half of tenant isolation (row-level security is the other): every tenant entity carries a
 * `tenant` filter that is ON by default. Inside `withClient` it scopes each query to that client; inside
 * `asOperator` it is opened to all clients; anywhere else an entity query fails with "No arguments
 * provided for filter 'tenant'" instead of silently reading across clients.
 */
export type TenantFilterArgs = { clientId: string } | { allClients: true };

export const TENANT_FILTER = 'tenant';

/** `property` is the relation (or, for clients, the key) that names the row's client. */
export function tenantFilter(property: 'client' | 'id'): EntityMetadata['filters'] {
  return {
    [TENANT_FILTER]: {
      name: TENANT_FILTER,
      default: true,
      cond: (args: TenantFilterArgs) => ('allClients' in args && args.allClients === true ? {} : { [property]: (args as { clientId: string }).clientId }),
    },
  };
}
