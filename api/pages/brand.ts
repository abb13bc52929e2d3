/**
 * A client's brand on its activation pages (issue 16), from its default brand guidelines (seed 004's
 * brand_guidelines: high_level_guidelines, else full_style_guide): the first primary colour, the primary
 * logo and the primary font. Everything is checked again here before it reaches the page's CSS or HTML:
 * a colour must be #RRGGBB, a logo an https URL, a font a plain family name, whatever is stored.
 *
 * Accessibility (WCAG 2.2 AA, 1.4.3): the button text is white or black, whichever contrasts more with
 * the brand colour (always at least 4.5:1, WCAG 2.x relative luminance); headings take the brand colour
 * only when it reaches 4.5:1 on the white page, else the default text colour.
 */
export interface Theme {
  /** #RRGGBB of buttons. */
  primary: string;
  /** #fff or #000 on the buttons. */
  onPrimary: string;
  /** #RRGGBB of headings on the white page. */
  heading: string;
  /** A CSS font-family list, or null for the default. */
  fontStack: string | null;
}

export interface Brand { logoUrl: string | null; theme: Theme | null }

/** The columns of brand_guidelines read for a page. */
export interface BrandGuidelinesRow { high_level_guidelines: unknown; full_style_guide: unknown }

const HEX = /^#[0-9a-fA-F]{6}$/;
const FONT = /^[A-Za-z][A-Za-z0-9 -]{0,59}$/;
const HTTPS = /^https:\/\/[^\s"'<>\\]{1,2040}$/;
const TEXT_COLOUR = '#1f2933';
const MIN_CONTRAST = 4.5;

function at(value: unknown, ...path: (string | number)[]): unknown {
  return path.reduce<unknown>((node, key) => (node !== null && typeof node === 'object' ? (node as Record<string | number, unknown>)[key] : undefined), value);
}

function pick(pattern: RegExp, ...candidates: unknown[]): string | null {
  const found = candidates.find((candidate) => typeof candidate === 'string' && pattern.test(candidate));
  return (found as string | undefined) ?? null;
}

/** WCAG 2.x relative luminance of #RRGGBB. */
function luminance(hex: string): number {
  const [r, g, b] = [1, 3, 5].map((i) => {
    const channel = parseInt(hex.slice(i, i + 2), 16) / 255;
    return channel <= 0.03928 ? channel / 12.92 : ((channel + 0.055) / 1.055) ** 2.4;
  });
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

/** WCAG 2.x contrast ratio of two #RRGGBB colours (1 to 21). */
export function contrastRatio(a: string, b: string): number {
  const [light, dark] = [luminance(a), luminance(b)].sort((x, y) => y - x);
  return (light + 0.05) / (dark + 0.05);
}

/** The brand of a client's pages; no guidelines (or nothing usable in them) gives the default look. */
export function brandOf(guidelines: BrandGuidelinesRow | null): Brand {
  if (!guidelines) return { logoUrl: null, theme: null };
  const high = guidelines.high_level_guidelines;
  const full = guidelines.full_style_guide;
  const primary = pick(HEX, at(high, 'colors', 'primary', 0, 'hex'), at(full, 'colorPalette', 'primary', 0, 'hex'));
  const font = pick(FONT, at(high, 'typography', 'primaryFont'), at(full, 'typographyGuidelines', 'primaryFont', 'family'));
  const logoUrl = pick(HTTPS, at(high, 'logo', 'primaryLogoUrl'), at(full, 'logoGuidelines', 'logos', 0, 'url'));
  if (!primary && !font) return { logoUrl, theme: null };
  const colour = primary?.toLowerCase() ?? '#0b4f8a';
  return {
    logoUrl,
    theme: {
      primary: colour,
      onPrimary: contrastRatio(colour, '#ffffff') >= contrastRatio(colour, '#000000') ? '#ffffff' : '#000000',
      heading: contrastRatio(colour, '#ffffff') >= MIN_CONTRAST ? colour : TEXT_COLOUR,
      fontStack: font ? `${font}, system-ui, sans-serif` : null,
    },
  };
}
