import { z } from 'zod';
import { CampaignParams, choice, jsonObject, page, pagination, text, timestamp, uuid } from '../common';
import { auditFields, baseVersion, listQuery, longText, resourceName } from './shared';

/**
 * Seed 004's profile containers (customer_profile_containers): a profile, brand guidelines and a budget
 * grouped; is_complete and missing_profiles are kept by the database's trigger. And the record of which
 * campaign uses which (campaign_profile_usage): one active usage per campaign.
 */

const containerStatus = () => choice({
  ACTIVE: 'in use: campaigns may be attached to it',
  INACTIVE: 'kept, but not in use',
  DRAFT: 'being put together',
  ARCHIVED: 'kept for the record only',
}, 'Where the container stands');

const containerShape = {
  name: resourceName,
  description: longText.nullable(),
  customer_profile_id: uuid.nullable().describe('A target customer profile of the client (not deleted)'),
  brand_guidelines_id: uuid.nullable().describe('Brand guidelines of the client (not deleted)'),
  budget_id: uuid.nullable().describe('A budget of the client (not deleted)'),
  is_default: z.boolean().describe('At most one default container per client (409 otherwise)'),
  is_primary: z.boolean(),
  status: containerStatus(),
  metadata: jsonObject,
};

export const ContainerCreate = z.strictObject({
  ...containerShape,
  description: containerShape.description.optional(),
  customer_profile_id: containerShape.customer_profile_id.optional(),
  brand_guidelines_id: containerShape.brand_guidelines_id.optional(),
  budget_id: containerShape.budget_id.optional(),
  is_default: z.boolean().default(false),
  is_primary: z.boolean().default(false),
  status: containerShape.status.default('ACTIVE'),
  metadata: jsonObject.default({}),
});

export const ContainerUpdate = z.strictObject({
  ...Object.fromEntries(Object.entries(containerShape).map(([key, schema]) => [key, schema.optional()])) as { [K in keyof typeof containerShape]: z.ZodOptional<(typeof containerShape)[K]> },
  version: baseVersion,
});

export const Container = z.object({
  id: uuid,
  name: z.string(),
  description: z.string().nullable(),
  customer_profile_id: uuid.nullable(),
  brand_guidelines_id: uuid.nullable(),
  budget_id: uuid.nullable(),
  is_default: z.boolean(),
  is_primary: z.boolean(),
  status: containerStatus(),
  is_complete: z.boolean().describe('All three references set (kept by the database)'),
  missing_profiles: z.array(z.string()).describe('Which of customer_profile, brand_guidelines, budget are missing'),
  ...auditFields,
}).meta({ id: 'ProfileContainer' });

export const ContainerQuery = listQuery(['created_at', 'updated_at', 'name'], {
  search: text().trim().min(1).max(100).optional().describe('Part of the name, case-insensitive (trigram index)'),
  status: containerStatus().optional(),
  is_complete: choice({ true: 'only containers with all three references set', false: 'only containers missing one' }, 'Whether the container is complete')
    .transform((value) => value === 'true').optional(),
});

export const ContainerPage = page(Container);

/** Seed 004's three ways a campaign uses profiles. */
const usageType = () => choice({
  CONTAINER: 'a container as it is (no individual profile references)',
  INDIVIDUAL: 'individual profiles, guidelines or budget without a container',
  HYBRID: 'a container with some of its parts overridden by individual references',
}, 'How the campaign uses profiles');

/**
 * The seed's three usage types: a container as it is; individual profiles without one; a container
 * with some of its parts overridden. Which references each needs is checked here, before the
 * database's chk_usage_type_references would.
 */
export const ProfileUsageSet = z.strictObject({
  usage_type: usageType(),
  container_id: uuid.nullable().optional(),
  customer_profile_id: uuid.nullable().optional(),
  brand_guidelines_id: uuid.nullable().optional(),
  budget_id: uuid.nullable().optional(),
}).superRefine((usage, ctx) => {
  const parts = [usage.customer_profile_id, usage.brand_guidelines_id, usage.budget_id].filter((id) => id != null).length;
  if (usage.usage_type !== 'INDIVIDUAL' && !usage.container_id) {
    ctx.addIssue({ code: 'custom', path: ['container_id'], message: `is required for usage_type ${usage.usage_type}` });
  }
  if (usage.usage_type === 'INDIVIDUAL' && usage.container_id) {
    ctx.addIssue({ code: 'custom', path: ['container_id'], message: 'must be left out for usage_type INDIVIDUAL' });
  }
  if (usage.usage_type === 'CONTAINER' && parts > 0) {
    ctx.addIssue({ code: 'custom', path: ['usage_type'], message: 'CONTAINER takes the container as it is; use HYBRID to override its parts' });
  }
  if (usage.usage_type !== 'CONTAINER' && parts === 0) {
    ctx.addIssue({ code: 'custom', path: ['customer_profile_id'], message: `usage_type ${usage.usage_type} needs at least one of customer_profile_id, brand_guidelines_id, budget_id` });
  }
});
export type ProfileUsageInput = z.infer<typeof ProfileUsageSet>;

export const ProfileUsage = z.object({
  id: uuid,
  campaign_id: uuid,
  usage_type: usageType(),
  container_id: uuid.nullable(),
  customer_profile_id: uuid.nullable(),
  brand_guidelines_id: uuid.nullable(),
  budget_id: uuid.nullable(),
  is_active: z.boolean(),
  effective: z.object({
    customer_profile_id: uuid.nullable(),
    brand_guidelines_id: uuid.nullable(),
    budget_id: uuid.nullable(),
  }).describe('What the campaign uses: the override where HYBRID sets one, else the container\'s'),
  created_by: z.string().nullable(),
  updated_by: z.string().nullable(),
  created_at: timestamp,
  updated_at: timestamp,
}).meta({ id: 'ProfileUsage' });

export const ProfileUsageQuery = z.strictObject({
  include_inactive: choice({ true: 'usages a later one replaced are listed too', false: 'only each campaign\'s current usage' }, 'Whether replaced usages are listed')
    .default('false').transform((value) => value === 'true'),
  container_id: uuid.optional(),
  ...pagination,
});

export const ProfileUsagePage = page(ProfileUsage);
export { CampaignParams };
