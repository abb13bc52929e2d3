import { z } from 'zod';
import { choice, jsonObject, page, text, uuid } from '../common';
import { auditFields, baseVersion, label, labels, listQuery, resourceName, storedDocument } from './shared';

/**
 * Seed 004's brand guidelines (table brand_guidelines, Canva-compatible): a quick high-level guide and,
 * when detail_level is 'full', the full style guide. Both JSONB documents are validated down to every leaf.
 */

const detailLevel = () => choice({
  'high-level': 'the short guidelines only (high_level_guidelines)',
  full: 'a comprehensive style guide as well (full_style_guide)',
}, 'How detailed the guidelines are');

/** Logos are fetched by mail clients, so only https URLs. */
export const httpsUrl = z.url({ protocol: /^https$/, hostname: z.regexes.domain }).max(2048)
  .describe('An https URL');
export const hexColor = z.string().regex(/^#[0-9A-Fa-f]{6}$/, 'must be a hex colour such as #0066CC');
/** A CSS length as the seed writes type sizes: "16px", "1.5rem". */
const cssSize = z.string().regex(/^\d{1,3}(\.\d{1,3})?(px|pt|rem|em)$/, 'must be a size such as 16px or 1.5rem');

export const Color = z.strictObject({
  name: label,
  hex: hexColor,
  usage: label.optional(),
});
const colors = z.array(Color).max(20);

export const HighLevelGuidelines = z.strictObject({
  logo: z.strictObject({
    primaryLogoUrl: httpsUrl.optional(),
    secondaryLogoUrl: httpsUrl.optional(),
    usageRules: labels().optional(),
  }).optional(),
  colors: z.strictObject({ primary: colors.optional(), secondary: colors.optional(), accent: colors.optional() }).optional(),
  typography: z.strictObject({
    primaryFont: label.optional(),
    secondaryFont: label.optional(),
    typeSizes: z.array(cssSize).max(20).optional(),
  }).optional(),
  voice: z.strictObject({
    tone: labels(10).optional(),
    notes: z.array(text({ multiline: true }).trim().min(1).max(500)).max(20).optional(),
  }).optional().describe('How the brand speaks; the notes are shown with email previews'),
}).describe('Quick reference guidelines (seed 004 high_level_guidelines JSONB)');

const font = z.strictObject({ family: label, weights: z.array(z.number().int().min(100).max(900)).max(9).optional(), fallback: label.optional() });

export const FullStyleGuide = z.strictObject({
  logoGuidelines: z.strictObject({
    logos: z.array(z.strictObject({ name: label, url: httpsUrl, variant: label.optional() })).max(20).optional(),
    clearSpace: label.optional(),
    minimumSize: z.strictObject({ width: z.number().int().min(1).max(10_000), height: z.number().int().min(1).max(10_000) }).optional(),
  }).optional(),
  colorPalette: z.strictObject({ primary: colors.optional(), secondary: colors.optional(), accent: colors.optional() }).optional(),
  typographyGuidelines: z.strictObject({
    primaryFont: font.optional(),
    secondaryFont: font.optional(),
    typeScale: z.array(z.strictObject({ name: label, size: cssSize })).max(20).optional(),
  }).optional(),
  voiceGuidelines: z.strictObject({
    brandVoice: label.optional(),
    primaryTone: labels(10).optional(),
    messagingPillars: labels(20).optional(),
    doList: labels().optional(),
    dontList: labels().optional(),
  }).optional(),
}).describe('The comprehensive style guide (seed 004 full_style_guide JSONB)');

const guidelinesShape = {
  brand_name: resourceName,
  detail_level: detailLevel(),
  high_level_guidelines: HighLevelGuidelines,
  full_style_guide: FullStyleGuide.nullable(),
  industry: resourceName.nullable(),
  brand_values: labels(),
  is_default: z.boolean(),
  metadata: jsonObject,
};

export const BrandGuidelinesCreate = z.strictObject({
  ...guidelinesShape,
  detail_level: guidelinesShape.detail_level.default('high-level'),
  high_level_guidelines: HighLevelGuidelines.default({}),
  full_style_guide: guidelinesShape.full_style_guide.optional(),
  industry: guidelinesShape.industry.optional(),
  brand_values: guidelinesShape.brand_values.default([]),
  is_default: z.boolean().default(false),
  metadata: jsonObject.default({}),
});

export const BrandGuidelinesUpdate = z.strictObject({
  ...Object.fromEntries(Object.entries(guidelinesShape).map(([key, schema]) => [key, schema.optional()])) as { [K in keyof typeof guidelinesShape]: z.ZodOptional<(typeof guidelinesShape)[K]> },
  version: baseVersion,
});

export const BrandGuidelines = z.object({
  id: uuid,
  brand_name: z.string(),
  detail_level: detailLevel(),
  high_level_guidelines: storedDocument,
  full_style_guide: storedDocument.nullable(),
  industry: z.string().nullable(),
  brand_values: z.array(z.string()),
  is_default: z.boolean(),
  ...auditFields,
}).meta({ id: 'BrandGuidelines' });

export const BrandGuidelinesQuery = listQuery(['created_at', 'updated_at', 'brand_name'], {
  search: text().trim().min(1).max(100).optional().describe('Part of the brand name, case-insensitive (trigram index)'),
  industry: text().trim().min(1).max(255).optional(),
  brand_voice: text().trim().min(1).max(200).optional().describe('full_style_guide.voiceGuidelines.brandVoice equals this (containment)'),
});

export const BrandGuidelinesPage = page(BrandGuidelines);
