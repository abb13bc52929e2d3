import { z } from 'zod';
import { uuid } from '../common';

/** Seed 004 usage example 6: what a client has set up, so onboarding knows where to start. */
export const ProfileStatus = z.object({
  client_id: uuid,
  is_first_time_user: z.boolean().describe('No customer profile, no brand guidelines and no budget yet (the seed\'s isFirstTimeUser)'),
  has_customer_profile: z.boolean(),
  has_brand_guidelines: z.boolean(),
  has_budget: z.boolean(),
  has_container: z.boolean(),
  profile_counts: z.object({
    customer_profiles: z.number().int(), brand_guidelines: z.number().int(), budgets: z.number().int(), containers: z.number().int(),
  }).describe('Live (not deleted) rows'),
}).meta({ id: 'ProfileStatus' });

/** Seed 004 usage example 10: the account's profile summary. */
export const ProfileSummary = z.object({
  client_id: uuid,
  total_profiles: z.number().int(),
  total_guidelines: z.number().int(),
  total_budgets: z.number().int(),
  total_containers: z.number().int(),
  total_active_budget: z.array(z.object({ currency: z.string(), amount: z.number().describe('Major units') }))
    .describe('Sum of the ACTIVE budgets\' amounts, one entry per currency (currencies are never added together)'),
  total_campaign_usage: z.number().int().describe('Campaigns with an active profile usage'),
}).meta({ id: 'ProfileSummary' });
