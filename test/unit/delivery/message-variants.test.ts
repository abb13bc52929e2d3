import fc from 'fast-check';
import { type RenderContext, renderStep } from '../../../domain/delivery/message-template';
import { MessageVariants, type PersonalValues, type SharedValues, substitute } from '../../../domain/delivery/message-variants';
import { type NarrativeStepDraft, buildNarrativeSteps } from '../../../domain/campaigns/narrative';
import { RFM_SEGMENTS, type RfmSegment } from '../../../domain/rfm';

/** A variant plus a recipient's substitutions must read exactly as the step rendered for that donor alone. */

const HOSTILE = `Anne & Tom <O'Brien> "Q" \`=`;
const STORY = { headline: `Feed & Shelter <500>`, summary: `O'Brien's "summary"`, value_proposition: 'A & B', donor_motivation: '<b>why</b>' };
const SHARED: SharedValues = { story: STORY, campaign: { name: 'Spring & Summer "Appeal"' } };
const UNSUBSCRIBE = 'https://give.example/unsubscribe/tok=en&x';
/** Each donor's own signed give link (here derived from the donor, as the mailer signs one per donor). */
const donateUrl = (donor: RenderContext['donor']) => `https://give.example/give/${encodeURIComponent(donor.email ?? 'none')}?c=1&x=2`;

const ISSUE_GREETING = '{{#if donor.last_name}}Dear {{donor.first_name}} {{donor.last_name}},{{else}}Dear valued supporter,{{/if}}';

const step = (change: Partial<NarrativeStepDraft> = {}): NarrativeStepDraft => ({
  step_number: 11, stage: 'conversion', day: 11,
  subject_line: '{{#if donor.first_name}}{{donor.first_name}}, {{/if}}{{story.headline}} for {{campaign.name}}',
  message: `${ISSUE_GREETING}\n\n{{story.summary}} {{story.value_proposition}} {{story.donor_motivation}}\n\nWrite to {{donor.email}}.{{#unless donor.email}} (no address){{/unless}}`,
  call_to_action: 'Give: {{links.donate}} or leave: {{links.unsubscribe}}',
  segment_customization: {
    Champions: { subject_line: 'Champion {{donor.last_name}} & friends', message: 'Thanks, {{#if donor.first_name}}{{donor.first_name}}{{else}}friend{{/if}} <3' },
    'At Risk': { message: 'We miss you {{donor.first_name}}' },
  },
  ...change,
});

function values(donor: RenderContext['donor']): PersonalValues {
  return {
    'donor.first_name': donor.first_name, 'donor.last_name': donor.last_name, 'donor.email': donor.email,
    'links.unsubscribe': UNSUBSCRIBE, 'links.donate': donateUrl(donor),
  };
}

/** What a recipient reads when SendGrid substitutes its values into its variant. */
function delivered(variants: MessageVariants, segment: RfmSegment | null, donor: RenderContext['donor']) {
  const variant = variants.variantOf(segment, values(donor));
  const substitutions = variant.substitutionsFor(values(donor));
  return {
    subject: substitute(variant.message.subject, substitutions).replace(/\s+/g, ' ').trim(),
    html: substitute(variant.message.html, substitutions),
    text: substitute(variant.message.text, substitutions),
  };
}

function alone(template: NarrativeStepDraft, segment: RfmSegment | null, donor: RenderContext['donor']) {
  return renderStep(template, { donor, story: STORY, campaign: SHARED.campaign, links: { donate: donateUrl(donor), unsubscribe: UNSUBSCRIBE }, segment });
}

describe('MessageVariants', () => {
  it('gives "Dear valued supporter," to a donor without a last name, and each donor their own branch (issue 10)', () => {
    const variants = new MessageVariants(step({ segment_customization: null }), SHARED, 'abc123');
    expect(delivered(variants, null, { first_name: 'Sam', last_name: null, email: 'sam@x.test' }).text.startsWith('Dear valued supporter,\n')).toBe(true);
    expect(delivered(variants, null, { first_name: 'Sam', last_name: '  ', email: 'sam@x.test' }).text.startsWith('Dear valued supporter,\n')).toBe(true);
    expect(delivered(variants, null, { first_name: 'Sam', last_name: 'Ray', email: 'sam@x.test' }).text.startsWith('Dear Sam Ray,\n')).toBe(true);
  });

  it('carries raw values in the subject and text part and escapes them only in the html part (Anne & Tom O\'Brien)', () => {
    const variants = new MessageVariants(step({ segment_customization: null }), SHARED, 'abc123');
    const message = delivered(variants, null, { first_name: 'Anne & Tom', last_name: "O'Brien", email: 'a@x.test' });
    expect(message.subject).toBe('Anne & Tom, Feed & Shelter <500> for Spring & Summer "Appeal"');
    expect(message.text.startsWith("Dear Anne & Tom O'Brien,\n\nO'Brien's \"summary\" A & B <b>why</b>")).toBe(true);
    expect(message.text).toContain(`Give: https://give.example/give/a%40x.test?c=1&x=2 or leave: ${UNSUBSCRIBE}`);
    expect(message.html).toContain('<p>Dear Anne &amp; Tom O&#x27;Brien,</p>');
    expect(message.html).toContain('O&#x27;Brien&#x27;s &quot;summary&quot; A &amp; B &lt;b&gt;why&lt;/b&gt;');
    expect(message.html).toContain('Give: https://give.example/give/a%40x.test?c&#x3D;1&amp;x&#x3D;2 or leave: https://give.example/unsubscribe/tok&#x3D;en&amp;x');
    expect(message.html).toContain('<a href="https://give.example/unsubscribe/tok&#x3D;en&amp;x">Unsubscribe</a>');
    expect(message.text).not.toMatch(/&#|&amp;/);
  });

  it.each([
    ['donor.first_name', { first_name: HOSTILE, last_name: 'x', email: 'e@x.test' }],
    ['donor.last_name', { first_name: 'x', last_name: HOSTILE, email: 'e@x.test' }],
    ['donor.email', { first_name: 'x', last_name: 'x', email: HOSTILE }],
  ])('escapes %s for the html part only', (variable, donor) => {
    const template = step({ subject_line: `S {{${variable}}}`, message: `M {{${variable}}}`, call_to_action: `C {{${variable}}}`, segment_customization: null });
    const message = delivered(new MessageVariants(template, SHARED, 'abc123'), null, donor);
    expect(message.subject).toBe(`S ${HOSTILE}`);
    expect(message.text.startsWith(`M ${HOSTILE}\n\nC ${HOSTILE}\n\n`)).toBe(true);
    expect(message.html).toContain('<p>M Anne &amp; Tom &lt;O&#x27;Brien&gt; &quot;Q&quot; &#x60;&#x3D;</p>');
  });

  it('gives each donor of one variant their own donate link (one request, one signed link per recipient)', () => {
    const variants = new MessageVariants(step({ segment_customization: null }), SHARED, 'abc123');
    const ann = delivered(variants, null, { first_name: 'Ann', last_name: 'A', email: 'ann@x.test' });
    const bob = delivered(variants, null, { first_name: 'Bob', last_name: 'B', email: 'bob@x.test' });
    expect(variants.variantOf(null, values({ first_name: 'Ann', last_name: 'A', email: 'ann@x.test' })))
      .toBe(variants.variantOf(null, values({ first_name: 'Bob', last_name: 'B', email: 'bob@x.test' })));
    expect(ann.text).toContain('Give: https://give.example/give/ann%40x.test?c=1&x=2 ');
    expect(bob.text).toContain('Give: https://give.example/give/bob%40x.test?c=1&x=2 ');
    expect(ann.html).not.toContain('bob%40x.test');
  });

  it.each(['story.headline', 'story.summary', 'story.value_proposition', 'story.donor_motivation', 'campaign.name'])(
    'escapes shared %s for the html part only', (variable) => {
      const shared: SharedValues = {
        story: { headline: HOSTILE, summary: HOSTILE, value_proposition: HOSTILE, donor_motivation: HOSTILE },
        campaign: { name: HOSTILE },
      };
      const template = step({ subject_line: `S {{${variable}}}`, message: `M {{${variable}}}`, call_to_action: 'C', segment_customization: null });
      const variant = new MessageVariants(template, shared, 'abc123').variantOf(null, values({ first_name: 'a' }));
      expect(variant.message.subject).toBe(`S ${HOSTILE}`);
      expect(variant.message.text.startsWith(`M ${HOSTILE}\n\n`)).toBe(true);
      expect(variant.message.html).toContain('<p>M Anne &amp; Tom &lt;O&#x27;Brien&gt; &quot;Q&quot; &#x60;&#x3D;</p>');
    });

  it('applies the segment customization, with its own escaping and branches', () => {
    const variants = new MessageVariants(step(), SHARED, 'abc123');
    const champion = delivered(variants, 'Champions', { first_name: null, last_name: "O'Brien", email: 'c@x.test' });
    expect(champion.subject).toBe("Champion O'Brien & friends");
    expect(champion.text.startsWith('Thanks, friend <3\n\n')).toBe(true);
    expect(champion.html).toContain('<p>Thanks, friend &lt;3</p>');
  });

  it('renders one variant per segment and set of branches, and reuses it', () => {
    const variants = new MessageVariants(step(), SHARED, 'abc123');
    const a = variants.variantOf('Loyal', values({ first_name: 'A', last_name: 'B', email: 'a@x.test' }));
    expect(variants.variantOf('Loyal', values({ first_name: 'C', last_name: 'D', email: 'c@x.test' }))).toBe(a);
    expect(variants.variantOf('Loyal', values({ first_name: 'C', last_name: null, email: 'c@x.test' }))).not.toBe(a);
    expect(variants.variantOf('Promising', values({ first_name: 'A', last_name: 'B', email: 'a@x.test' }))).not.toBe(a);
    // At Risk's override tests only what the step's subject and call to action test: last name does not split it.
    const risk = variants.variantOf('At Risk', values({ first_name: 'A', last_name: 'B', email: 'a@x.test' }));
    expect(variants.variantOf('At Risk', values({ first_name: 'A', last_name: null, email: 'a@x.test' }))).toBe(risk);
  });

  it('sends only the substitutions a variant uses', () => {
    const template = step({ subject_line: 'Hi', message: 'Dear {{donor.first_name}}', call_to_action: 'Go', segment_customization: null });
    const variant = new MessageVariants(template, SHARED, 'abc123').variantOf(null, values({ first_name: 'A&B', last_name: 'L' }));
    expect(variant.substitutionsFor(values({ first_name: 'A&B', last_name: 'L' }))).toEqual({
      '%abc1230t%': 'A&B', '%abc1230h%': 'A&amp;B', '%abc1233t%': UNSUBSCRIBE, '%abc1233h%': 'https://give.example/unsubscribe/tok&#x3D;en&amp;x',
    });
  });

  it('refuses a guessable tag nonce', () => {
    expect(() => new MessageVariants(step(), SHARED, 'a')).toThrow(/nonce/);
    expect(() => new MessageVariants(step(), SHARED, 'ABC-123')).toThrow(/nonce/);
  });

  it('reads, for any donor, segment and season step, exactly as the step rendered for that donor alone', () => {
    const name = fc.option(fc.oneof(fc.string(), fc.constantFrom(HOSTILE, '  ', 'Ann, Jr.', 'Zoë 😀', '%abc1230t%')), { nil: null });
    const donor = fc.record({ first_name: name, last_name: name, email: name });
    const segment = fc.constantFrom<RfmSegment | null>(null, ...RFM_SEGMENTS);
    const templates = [step(), ...buildNarrativeSteps('year_end', STORY)];
    fc.assert(fc.property(fc.constantFrom(...templates), fc.array(fc.tuple(segment, donor), { minLength: 1, maxLength: 12 }), (template, recipients) => {
      const variants = new MessageVariants(template, SHARED, 'n0nce9');
      for (const [seg, d] of recipients) expect(delivered(variants, seg, d)).toEqual(alone(template, seg, d));
    }), { numRuns: 300 });
  });
});
