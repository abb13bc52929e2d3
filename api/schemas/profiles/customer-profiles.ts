import { z } from 'zod';
import { choice, jsonObject, page, text, uuid } from '../common';
import { auditFields, baseVersion, label, labels, listQuery, longText, resourceName, storedDocument } from './shared';

/**
 * Seed 004's target customer profile (table target_customer_profiles): demographics, behavior and
 * persona are JSONB documents in the seed's camelCase shape, validated here down to every leaf.
 */

/** A closed range of whole numbers; `max` below `min` is refused naming `max`. */
function range(min: number, max: number, unit: string) {
  const bound = z.number().int().min(min).max(max).describe(unit);
  return z.strictObject({ min: bound, max: bound })
    .refine((r) => r.min <= r.max, { path: ['max'], message: 'must be at least min' });
}

const gender = (summary: string) => choice({
  all: 'people of every gender', female: 'women', male: 'men', non_binary: 'non-binary people', other: 'another gender',
}, summary);
const educationLevel = () => choice({
  any: 'no particular education', high_school: 'high school', some_college: 'some college, no degree',
  associates: 'an associate degree', bachelors: 'a bachelor\'s degree', masters: 'a master\'s degree',
  doctorate: 'a doctorate', other: 'another qualification',
}, 'The highest education the profile targets');
const device = (summary: string) => choice({ mobile: 'phones', desktop: 'desktop and laptop computers', tablet: 'tablets' }, summary);
const activityLevel = () => choice({
  very_active: 'online many times a day', active: 'online daily', moderate: 'online a few times a week',
  low: 'online now and then', inactive: 'rarely online',
}, 'How active online the profile is');

/** ISO 3166-1 alpha-2, upper case as the seed writes them ("US", "CA"). */
export const countryCode = z.string().regex(/^[A-Z]{2}$/, 'must be an ISO 3166-1 alpha-2 country code such as US');

export const Demographics = z.strictObject({
  ageRange: range(0, 130, 'years').optional(),
  gender: gender('The gender the profile targets').optional(),
  location: z.strictObject({
    countries: z.array(countryCode).max(250).optional(),
    states: labels(100).optional(),
    cities: labels(200).optional(),
    postalCodes: z.array(text().trim().min(1).max(20)).max(1000).optional(),
    radius: z.strictObject({
      latitude: z.number().min(-90).max(90),
      longitude: z.number().min(-180).max(180),
      radius: z.number().positive().max(20_000),
      unit: choice({ miles: 'radius in miles', km: 'radius in kilometres' }, 'Unit of radius (miles when omitted)').default('miles'),
    }).optional(),
  }).optional(),
  incomeRange: range(0, 1_000_000_000, 'yearly income, whole units of the profile\'s currency').optional(),
  educationLevel: educationLevel().optional(),
  occupations: labels().optional(),
  languages: labels().optional(),
}).describe('Who the profile targets (seed 004 demographics JSONB)');

export const Behavior = z.strictObject({
  devicePreferences: z.array(device('A device the profile prefers')).max(3).optional(),
  purchaseBehavior: labels().optional(),
  onlineActivityLevel: activityLevel().optional(),
  socialMediaPlatforms: labels().optional(),
}).describe('How they behave (seed 004 behavior JSONB)');

export const Persona = z.strictObject({
  name: resourceName.optional(),
  description: longText.optional(),
  motivations: labels().optional(),
  painPoints: labels().optional(),
  values: labels().optional(),
  goals: labels().optional(),
}).describe('Who they are as a person (seed 004 persona JSONB)');

const profileShape = {
  name: resourceName,
  description: longText.nullable(),
  demographics: Demographics,
  interests: labels(200),
  behavior: Behavior,
  persona: Persona,
  is_default: z.boolean(),
  is_active: z.boolean(),
  metadata: jsonObject,
};

export const CustomerProfileCreate = z.strictObject({
  ...profileShape,
  description: profileShape.description.optional(),
  demographics: Demographics.default({}),
  interests: profileShape.interests.default([]),
  behavior: Behavior.default({}),
  persona: Persona.default({}),
  is_default: z.boolean().default(false),
  is_active: z.boolean().default(true),
  metadata: jsonObject.default({}),
});

export const CustomerProfileUpdate = z.strictObject({
  ...Object.fromEntries(Object.entries(profileShape).map(([key, schema]) => [key, schema.optional()])) as { [K in keyof typeof profileShape]: z.ZodOptional<(typeof profileShape)[K]> },
  version: baseVersion,
});

export const CustomerProfile = z.object({
  id: uuid,
  name: z.string(),
  description: z.string().nullable(),
  demographics: storedDocument,
  interests: z.array(z.string()),
  behavior: storedDocument,
  persona: storedDocument,
  is_default: z.boolean(),
  is_active: z.boolean(),
  ...auditFields,
}).meta({ id: 'CustomerProfile' });

/** A comma-separated list in a query parameter (`countries=US,CA`), each item under the text rule. */
export function commaList<T extends z.ZodType<unknown, string>>(item: T) {
  return text().max(2000).transform((value) => value.split(',').map((part) => part.trim()).filter(Boolean)).pipe(z.array(item).min(1).max(50));
}

export const CustomerProfileQuery = listQuery(['created_at', 'updated_at', 'name'], {
  search: text().trim().min(1).max(100).optional().describe('Part of the name, case-insensitive (trigram index)'),
  gender: gender('Only profiles whose demographics.gender is this').optional(),
  countries: commaList(countryCode).optional().describe('Comma-separated; the profile targets all of them (demographics.location.countries containment)'),
  device_preferences: commaList(device('A device')).optional().describe('Comma-separated; the profile prefers all of them (behavior.devicePreferences containment)'),
  interests: commaList(label).optional().describe('Comma-separated; the profile has at least one of them (array overlap)'),
  is_active: choice({ true: 'only active profiles', false: 'only archived (inactive) profiles' }, 'Active or archived profiles; both when omitted')
    .transform((value) => value === 'true').optional(),
});

export const CustomerProfilePage = page(CustomerProfile);
export type CustomerProfileInput = z.infer<typeof CustomerProfileCreate>;
