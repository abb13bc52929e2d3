import type { FastifyInstance } from 'fastify';
import type { FastifyPluginAsyncZod, ZodTypeProvider } from 'fastify-type-provider-zod';
import type { z } from 'zod';
import { baseVersionOf, withEtag } from '../optimistic-lock';
import { AUTHENTICATED_ERRORS, BODY_ERRORS, CampaignParams, ClientParams, pageOf, problems } from '../schemas/common';
import {
  BrandGuidelines, BrandGuidelinesCreate, BrandGuidelinesPage, BrandGuidelinesQuery, BrandGuidelinesUpdate,
} from '../schemas/profiles/brand-guidelines';
import { Budget, BudgetCreate, BudgetPage, BudgetQuery, BudgetUpdate } from '../schemas/profiles/budgets';
import {
  Container, ContainerCreate, ContainerPage, ContainerQuery, ContainerUpdate, ProfileUsage, ProfileUsagePage, ProfileUsageQuery, ProfileUsageSet,
} from '../schemas/profiles/containers';
import {
  CustomerProfile, CustomerProfileCreate, CustomerProfilePage, CustomerProfileQuery, CustomerProfileUpdate,
} from '../schemas/profiles/customer-profiles';
import { ReadQuery, resourceParams } from '../schemas/profiles/shared';
import { ProfileStatus, ProfileSummary } from '../schemas/profiles/summary';
import {
  brandGuidelines, brandGuidelinesFilter, budgetFilter, budgets, checkBudget, containerFilter, containers, customerProfileFilter, customerProfiles,
} from '../services/profiles/resources';
import {
  type ListFilter, type ResourceSpec, type StoredRow, createRow, getRow, listRows, restoreRow, softDeleteRow, updateRow,
} from '../services/profiles/store';
import { profileStatus, profileSummary } from '../services/profiles/summary';
import { endUsage, getActiveUsage, listUsages, setUsage } from '../services/profiles/usage';

const tags = ['profiles'];
const CHANGE_ERRORS = [...BODY_ERRORS, 404, 409, 412, 428] as const;
const IF_MATCH_NOTE = 'Send If-Match with the ETag of your last read (or `version` in the body); a stale one answers 412 with `current_version`.';

/* eslint-disable @typescript-eslint/no-explicit-any -- one factory serves four resources whose schemas differ; each route's schema still validates */
interface VersionedResource {
  /** URL segment under /clients/{clientId}/ */
  path: string;
  /** Path parameter naming one row. */
  idParam: string;
  spec: ResourceSpec;
  Row: z.ZodType;
  Page: z.ZodType;
  Create: z.ZodType;
  Update: z.ZodType;
  Query: z.ZodType;
  filter(query: any): ListFilter;
  /** Resource rules beyond the schema, given the row being changed on update. */
  prepare?(em: Parameters<Parameters<import('fastify').FastifyRequest['inClient']>[1]>[0], input: any, current?: StoredRow): Promise<Record<string, unknown>>;
}

/**
 * The six operations of a seed 004 resource: create, list, read, change, soft delete and restore.
 * Reads answer an ETag; change, delete and restore need the version read (api/optimistic-lock.ts);
 * created_by / updated_by record the calling API key's id.
 */
function registerVersionedResource(app: FastifyInstance, r: VersionedResource) {
  const zapp = app.withTypeProvider<ZodTypeProvider>();
  const collection = `/clients/:clientId/${r.path}`;
  const item = `${collection}/:${r.idParam}`;
  const Params = resourceParams(r.idParam);
  const what = r.spec.what;
  const idOf = (params: unknown) => (params as Record<string, string>)[r.idParam];

  zapp.post(collection, {
    schema: {
      summary: `Create a ${what}`, tags, params: ClientParams, body: r.Create,
      response: { 201: r.Row, ...problems(...BODY_ERRORS, 404, 409) },
    },
  }, async (request, reply) => {
    const { clientId } = request.params;
    const row = await request.inClient(clientId, async (em) => {
      const input = r.prepare ? await r.prepare(em, request.body) : request.body as Record<string, unknown>;
      return createRow(em, r.spec, clientId, request.principal.keyId, input);
    });
    void reply.header('location', `/v1/clients/${clientId}/${r.path}/${row.id}`);
    return reply.code(201).send(withEtag(reply, row));
  });

  zapp.get(collection, {
    schema: {
      summary: `List ${what} rows (live ones unless include_deleted=true), filtered, sorted and paginated`, tags,
      params: ClientParams, querystring: r.Query,
      response: { 200: r.Page, ...problems(...AUTHENTICATED_ERRORS, 404) },
    },
  }, async (request) => {
    const query = request.query as { limit: number; offset: number };
    return pageOf(await request.inClient(request.params.clientId, (em) => listRows(em, r.spec, r.filter(query))), query);
  });

  zapp.get(item, {
    schema: {
      summary: `Get a ${what}, with its version as the ETag`, tags, params: Params, querystring: ReadQuery,
      response: { 200: r.Row, ...problems(...AUTHENTICATED_ERRORS, 404) },
    },
  }, async (request, reply) => withEtag(reply, await request.inClient(request.params.clientId,
    (em) => getRow(em, r.spec, idOf(request.params), request.query.include_deleted))));

  zapp.patch(item, {
    schema: {
      summary: `Change a ${what} (only the fields named). ${IF_MATCH_NOTE}`, tags, params: Params, body: r.Update,
      response: { 200: r.Row, ...problems(...CHANGE_ERRORS) },
    },
  }, async (request, reply) => {
    const body = request.body as Record<string, unknown> & { version?: number };
    const row = await request.inClient(request.params.clientId, async (em) => {
      const id = idOf(request.params);
      const current = await getRow(em, r.spec, id, true);
      const version = baseVersionOf(request, body.version);
      const input = r.prepare ? await r.prepare(em, body, current) : body;
      return updateRow(em, r.spec, id, version, request.principal.keyId, input);
    });
    return withEtag(reply, row);
  });

  zapp.delete(item, {
    schema: {
      summary: `Soft-delete a ${what}: lists hide it, restore brings it back; 409 naming them while live containers use it. ${IF_MATCH_NOTE}`, tags,
      params: Params,
      response: { 200: r.Row, ...problems(...AUTHENTICATED_ERRORS, 404, 409, 412, 428) },
    },
  }, async (request, reply) => withEtag(reply, await request.inClient(request.params.clientId, async (em) => {
    const id = idOf(request.params);
    await getRow(em, r.spec, id, true);
    return softDeleteRow(em, r.spec, id, baseVersionOf(request), request.principal.keyId);
  })));

  zapp.post(`${item}/restore`, {
    schema: {
      summary: `Restore a soft-deleted ${what}; 409 naming the rule when that would break a uniqueness rule (a second default). ${IF_MATCH_NOTE}`, tags,
      params: Params,
      response: { 200: r.Row, ...problems(...AUTHENTICATED_ERRORS, 404, 409, 412, 428) },
    },
  }, async (request, reply) => withEtag(reply, await request.inClient(request.params.clientId, async (em) => {
    const id = idOf(request.params);
    await getRow(em, r.spec, id, true);
    return restoreRow(em, r.spec, id, baseVersionOf(request), request.principal.keyId);
  })));
}
/* eslint-enable @typescript-eslint/no-explicit-any */

/** Seed 004 in the API: target customer profiles, brand guidelines, budgets and the containers grouping them. */
const profileRoutes: FastifyPluginAsyncZod = async (app) => {
  registerVersionedResource(app, {
    path: 'customer-profiles', idParam: 'profileId', spec: customerProfiles,
    Row: CustomerProfile, Page: CustomerProfilePage, Create: CustomerProfileCreate, Update: CustomerProfileUpdate, Query: CustomerProfileQuery,
    filter: customerProfileFilter,
  });
  registerVersionedResource(app, {
    path: 'brand-guidelines', idParam: 'guidelineId', spec: brandGuidelines,
    Row: BrandGuidelines, Page: BrandGuidelinesPage, Create: BrandGuidelinesCreate, Update: BrandGuidelinesUpdate, Query: BrandGuidelinesQuery,
    filter: brandGuidelinesFilter,
  });
  registerVersionedResource(app, {
    path: 'budgets', idParam: 'budgetId', spec: budgets,
    Row: Budget, Page: BudgetPage, Create: BudgetCreate, Update: BudgetUpdate, Query: BudgetQuery,
    filter: budgetFilter,
    prepare: (em, input, current) => checkBudget(em, input, current as never),
  });
  registerVersionedResource(app, {
    path: 'profile-containers', idParam: 'containerId', spec: containers,
    Row: Container, Page: ContainerPage, Create: ContainerCreate, Update: ContainerUpdate, Query: ContainerQuery,
    filter: containerFilter,
  });

  app.put('/clients/:clientId/campaigns/:campaignId/profile-usage', {
    schema: {
      summary: 'Attach the campaign to a container (CONTAINER), to individual profiles (INDIVIDUAL) or to a container with overrides (HYBRID); replaces its active usage (201 when it had none)', tags,
      params: CampaignParams, body: ProfileUsageSet,
      response: { 200: ProfileUsage, 201: ProfileUsage, ...problems(...BODY_ERRORS, 404, 409) },
    },
  }, async (request, reply) => {
    const { clientId, campaignId } = request.params;
    const { usage, replaced } = await request.inClient(clientId, (em) => setUsage(em, clientId, campaignId, request.principal.keyId, request.body));
    return reply.code(replaced ? 200 : 201).send(usage);
  });

  app.get('/clients/:clientId/campaigns/:campaignId/profile-usage', {
    schema: {
      summary: 'The campaign\'s active profile usage, with the profile, guidelines and budget in effect', tags,
      params: CampaignParams, response: { 200: ProfileUsage, ...problems(...AUTHENTICATED_ERRORS, 404) },
    },
  }, (request) => request.inClient(request.params.clientId, (em) => getActiveUsage(em, request.params.campaignId)));

  app.delete('/clients/:clientId/campaigns/:campaignId/profile-usage', {
    schema: {
      summary: 'Detach the campaign from its profiles: the active usage is deactivated (kept for the record)', tags,
      params: CampaignParams, response: { 200: ProfileUsage, ...problems(...AUTHENTICATED_ERRORS, 404) },
    },
  }, (request) => request.inClient(request.params.clientId, (em) => endUsage(em, request.params.campaignId, request.principal.keyId)));

  app.get('/clients/:clientId/profile-usage', {
    schema: {
      summary: 'Which campaigns use which profiles (active usages unless include_inactive=true), newest first', tags,
      params: ClientParams, querystring: ProfileUsageQuery, response: { 200: ProfileUsagePage, ...problems(...AUTHENTICATED_ERRORS, 404) },
    },
  }, async (request) => pageOf(await request.inClient(request.params.clientId, (em) => listUsages(em, request.query)), request.query));

  app.get('/clients/:clientId/profile-status', {
    schema: {
      summary: 'First-time user detection (seed 004): whether the client has a customer profile, brand guidelines, a budget, a container', tags,
      params: ClientParams, response: { 200: ProfileStatus, ...problems(...AUTHENTICATED_ERRORS, 404) },
    },
  }, (request) => request.inClient(request.params.clientId, (em) => profileStatus(em, request.params.clientId)));

  app.get('/clients/:clientId/profile-summary', {
    schema: {
      summary: 'Account profile summary (seed 004): totals, the active budget total per currency, campaigns using profiles', tags,
      params: ClientParams, response: { 200: ProfileSummary, ...problems(...AUTHENTICATED_ERRORS, 404) },
    },
  }, (request) => request.inClient(request.params.clientId, (em) => profileSummary(em, request.params.clientId)));
};

export default profileRoutes;
