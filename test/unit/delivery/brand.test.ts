import { brandOf, contrastRatio } from '../../../api/pages/brand';

describe('activation page brand', () => {
  it('measures contrast as WCAG 2.x does', () => {
    expect(contrastRatio('#ffffff', '#000000')).toBeCloseTo(21, 5);
    expect(contrastRatio('#0b4f8a', '#ffffff')).toBeCloseTo(8.4, 1);
    expect(contrastRatio('#777777', '#ffffff')).toBeCloseTo(4.48, 2);
  });

  it('puts readable text on the brand colour and keeps headings readable on white', () => {
    const dark = brandOf({ high_level_guidelines: { colors: { primary: [{ name: 'Navy', hex: '#0B4F8A' }] } }, full_style_guide: null });
    expect(dark.theme).toEqual({ primary: '#0b4f8a', onPrimary: '#ffffff', heading: '#0b4f8a', fontStack: null });
    const yellow = brandOf({ high_level_guidelines: { colors: { primary: [{ name: 'Sun', hex: '#FFD400' }] } }, full_style_guide: null });
    expect(yellow.theme).toEqual(expect.objectContaining({ primary: '#ffd400', onPrimary: '#000000', heading: '#1f2933' }));
    for (const colour of ['#777777', '#00665c', '#ff0000', '#ffd400', '#1f2933']) {
      const theme = brandOf({ high_level_guidelines: { colors: { primary: [{ hex: colour }] } }, full_style_guide: null }).theme!;
      expect(contrastRatio(theme.primary, theme.onPrimary)).toBeGreaterThanOrEqual(4.5);
      expect(contrastRatio(theme.heading, '#ffffff')).toBeGreaterThanOrEqual(4.5);
    }
  });

  it('falls back to the full style guide, and takes nothing that is not a plain colour, font or https logo', () => {
    const full = brandOf({ high_level_guidelines: {}, full_style_guide: {
      colorPalette: { primary: [{ name: 'Teal', hex: '#00665C' }] },
      typographyGuidelines: { primaryFont: { family: 'Open Sans' } },
      logoGuidelines: { logos: [{ name: 'Main', url: 'https://cdn.example.org/logo.svg' }] },
    } });
    expect(full).toEqual({ logoUrl: 'https://cdn.example.org/logo.svg', theme: expect.objectContaining({ primary: '#00665c', fontStack: 'Open Sans, system-ui, sans-serif' }) });
    const hostile = brandOf({ high_level_guidelines: {
      colors: { primary: [{ hex: 'red; } body { display: none' }] }, typography: { primaryFont: 'x; } * { color: red' },
      logo: { primaryLogoUrl: 'javascript:alert(1)' },
    }, full_style_guide: null });
    expect(hostile).toEqual({ logoUrl: null, theme: null });
    expect(brandOf(null)).toEqual({ logoUrl: null, theme: null });
  });
});
