import Handlebars from 'handlebars';
import type { RenderedMessage } from './message-template';

/**
 * What the brand guidelines in effect for a campaign (seed 004, through its profile usage) do to its email:
 * the brand's name is the sender's display name (unless the campaign names its own), its logo and
 * colours frame the HTML part, and its voice is shown to the manager beside each preview, to check the
 * copy against (never sent).
 */
export interface BrandStyle {
  brandName: string;
  /** An https URL (validated when the guidelines are saved). */
  logoUrl: string | null;
  /** #RRGGBB: the header band behind the logo. */
  primaryColor: string | null;
  /** #RRGGBB: the rule under the message. */
  accentColor: string | null;
  /** A font family name, CSS-safe (letters, digits, spaces, hyphens), with a web-safe fallback after it. */
  fontFamily: string | null;
  voice: BrandVoice;
}

/** The guidelines' voice: high_level_guidelines.voice and full_style_guide.voiceGuidelines together. */
export interface BrandVoice {
  brandVoice: string | null;
  tones: string[];
  notes: string[];
  messagingPillars: string[];
  doList: string[];
  dontList: string[];
}

/** The stored guidelines, as brand_guidelines keeps them (JSONB documents validated on the way in). */
export interface StoredGuidelines {
  brand_name: string;
  high_level_guidelines: Record<string, unknown> | null;
  full_style_guide: Record<string, unknown> | null;
}

const HEX = /^#[0-9A-Fa-f]{6}$/;
const FONT = /^[A-Za-z0-9 -]{1,64}$/;

/** The style a campaign's mail takes from its guidelines: each part from the high-level guide, else the full one. */
export function brandStyleOf(guidelines: StoredGuidelines): BrandStyle {
  const high = (guidelines.high_level_guidelines ?? {}) as HighLevel;
  const full = (guidelines.full_style_guide ?? {}) as Full;
  const color = (...candidates: (string | undefined)[]) => candidates.find((value) => value !== undefined && HEX.test(value)) ?? null;
  const voice = full.voiceGuidelines ?? {};
  const font = high.typography?.primaryFont ?? full.typographyGuidelines?.primaryFont?.family;
  return {
    brandName: guidelines.brand_name,
    logoUrl: high.logo?.primaryLogoUrl ?? full.logoGuidelines?.logos?.[0]?.url ?? null,
    primaryColor: color(high.colors?.primary?.[0]?.hex, full.colorPalette?.primary?.[0]?.hex),
    accentColor: color(high.colors?.accent?.[0]?.hex, full.colorPalette?.accent?.[0]?.hex, high.colors?.secondary?.[0]?.hex, full.colorPalette?.secondary?.[0]?.hex),
    fontFamily: font && FONT.test(font) ? font : null,
    voice: {
      brandVoice: voice.brandVoice ?? null,
      tones: [...new Set([...(high.voice?.tone ?? []), ...(voice.primaryTone ?? [])])],
      notes: high.voice?.notes ?? [],
      messagingPillars: voice.messagingPillars ?? [],
      doList: voice.doList ?? [],
      dontList: voice.dontList ?? [],
    },
  };
}

/**
 * The message's HTML part in the brand's frame: a band in the primary colour carrying the logo (or the
 * brand's name without one), the message in the brand's font, and a rule in the accent colour. Inline
 * styles only, as email clients drop style sheets. The subject and the text part are unchanged.
 */
export function withBrandFrame(message: RenderedMessage, style: BrandStyle): RenderedMessage {
  const e = Handlebars.escapeExpression;
  const font = style.fontFamily ? `font-family:'${style.fontFamily}',Arial,Helvetica,sans-serif` : 'font-family:Arial,Helvetica,sans-serif';
  const band = style.primaryColor ? `background-color:${style.primaryColor};` : '';
  const header = style.logoUrl
    ? `<img src="${e(style.logoUrl)}" alt="${e(style.brandName)}" style="max-height:60px;max-width:240px;border:0">`
    : `<strong style="font-size:20px;color:${style.primaryColor ? '#ffffff' : '#222222'}">${e(style.brandName)}</strong>`;
  const rule = style.accentColor ? `\n<hr style="border:0;border-top:3px solid ${style.accentColor};margin:16px 0">` : '';
  return {
    subject: message.subject,
    text: message.text,
    html: [
      `<div class="brand-frame" style="${font};max-width:600px;margin:0 auto">`,
      `<div class="brand-header" style="${band}padding:16px;text-align:center">${header}</div>`,
      `<div style="padding:16px">\n${message.html}${rule}\n</div>`,
      '</div>',
    ].join('\n'),
  };
}

interface ColorList { primary?: { hex?: string }[]; secondary?: { hex?: string }[]; accent?: { hex?: string }[] }
interface HighLevel {
  logo?: { primaryLogoUrl?: string };
  colors?: ColorList;
  typography?: { primaryFont?: string };
  voice?: { tone?: string[]; notes?: string[] };
}
interface Full {
  logoGuidelines?: { logos?: { url?: string }[] };
  colorPalette?: ColorList;
  typographyGuidelines?: { primaryFont?: { family?: string } };
  voiceGuidelines?: { brandVoice?: string; primaryTone?: string[]; messagingPillars?: string[]; doList?: string[]; dontList?: string[] };
}
