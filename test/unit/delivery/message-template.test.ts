import { type RenderContext, TEMPLATE_VARIABLES, TemplateError, compileStep, renderStep } from '../../../domain/delivery/message-template';
import { type NarrativeStepDraft, buildNarrativeSteps } from '../../../domain/campaigns/narrative';

const STORY = {
  headline: 'Feed 500 Families',
  summary: 'Every $50 feeds a family for a week.',
  value_proposition: 'Your gift goes straight to groceries.',
  donor_motivation: 'No child should go to bed hungry.',
};

const step = (change: Partial<NarrativeStepDraft> = {}): NarrativeStepDraft => ({
  step_number: 11,
  stage: 'conversion',
  day: 11,
  subject_line: 'Hello {{#if donor.first_name}}{{donor.first_name}}{{else}}friend{{/if}}',
  message: 'Dear {{#if donor.first_name}}{{donor.first_name}}{{else}}friend{{/if}},\n\n{{story.summary}}',
  call_to_action: 'Give: {{links.donate}}',
  segment_customization: null,
  ...change,
});

const context = (change: Partial<RenderContext> = {}): RenderContext => ({
  donor: { first_name: 'Ada', last_name: 'Lovelace', email: 'ada@example.org' },
  story: STORY,
  campaign: { name: 'Spring Appeal' },
  links: { donate: 'https://give.example.org/d/1', unsubscribe: 'https://give.example.org/u?t=a&b=c' },
  segment: null,
  ...change,
});

function templateError(run: () => void): TemplateError {
  try {
    run();
  } catch (error) {
    if (error instanceof TemplateError) return error;
    throw error;
  }
  throw new Error('expected a TemplateError');
}

describe('compileStep', () => {
  it('accepts every allowed variable, conditionals and comments', () => {
    const message = `${TEMPLATE_VARIABLES.map((v) => `{{${v}}}`).join(' ')} {{#unless donor.last_name}}x{{else if donor.email}}y{{/unless}} {{! note }} {{~donor.email~}}`;
    expect(() => compileStep(step({ message }))).not.toThrow();
  });

  it('accepts the season templates', () => {
    for (const draft of buildNarrativeSteps('summer', STORY)) expect(() => compileStep(draft)).not.toThrow();
  });

  it('rejects an unknown variable, naming the field with its prefix', () => {
    const error = templateError(() => compileStep(step({ message: 'Hi {{donor.nickname}}' }), 'steps[6].'));
    expect(error.field).toBe('steps[6].message');
    expect(error.message).toMatch(/^steps\[6\]\.message: uses unknown variable 'donor\.nickname'/);
    expect(error.name).toBe('TemplateError');
  });

  it.each([
    ['{{story}}', /unknown variable 'story'/],
    ['{{this}}', /unknown variable 'this'/],
    ['{{@root.donor.email}}', /unknown variable '@root\.donor\.email'/],
    ['{{#if donor.first_name}}{{../donor.first_name}}{{/if}}', /unknown variable '\.\.\/donor\.first_name'/],
    ['{{#if donor.nickname}}x{{/if}}', /unknown variable 'donor\.nickname'/],
    ['{{#if donor.first_name}}{{else}}{{story.title}}{{/if}}', /unknown variable 'story\.title'/],
    ['{{#each links}}x{{/each}}', /block '\{\{#each\}\}'/],
    ['{{#with donor}}{{first_name}}{{/with}}', /block '\{\{#with\}\}'/],
    ['{{#donor.first_name}}x{{/donor.first_name}}', /block '\{\{#donor\.first_name\}\}'/],
    ['{{#if donor.first_name donor.email}}x{{/if}}', /exactly one variable/],
    ['{{lookup donor "email"}}', /calls 'lookup' as a helper/],
    ['{{if donor.first_name}}', /calls 'if' as a helper/],
    ['{{{donor.first_name}}}', /without HTML escaping/],
    ['{{& donor.first_name}}', /without HTML escaping/],
    ['{{> footer}}', /partial/],
    ['{{#if (lookup donor "email")}}x{{/if}}', /sub-expression/],
  ])('rejects %s', (message, problem) => {
    expect(templateError(() => compileStep(step({ message }))).message).toMatch(problem);
  });

  it.each([
    ['{{donor.first_name', 'message'],
    ['{{#if donor.first_name}}unclosed', 'message'],
    ['{{#if donor.first_name}}x{{/unless}}', 'message'],
  ])('rejects the syntax error in %p', (message, field) => {
    const error = templateError(() => compileStep(step({ message }), 'steps[3].'));
    expect(error.field).toBe(`steps[3].${field}`);
    expect(error.message).toMatch(/is not a valid template/);
    expect(error.message).not.toContain('\n');
  });

  it.each(['subject_line', 'call_to_action'] as const)('checks %s too', (field) => {
    expect(templateError(() => compileStep(step({ [field]: '{{oops}}' }))).field).toBe(field);
  });

  it('checks segment overrides, naming segment and field', () => {
    const customized = step({ segment_customization: { Loyal: { subject_line: 'fine', emphasis: '{{not checked: a keyword}}' }, 'At Risk': { message: '{{donor.age}}' } } });
    const error = templateError(() => compileStep(customized, 'steps[10].'));
    expect(error.field).toBe('steps[10].segment_customization.At Risk.message');
  });
});

describe('renderStep', () => {
  it('fills donor, story, campaign and links', () => {
    const rendered = renderStep(step({ message: '{{donor.first_name}} {{donor.last_name}} ({{donor.email}}) backs {{campaign.name}}: {{story.headline}}' }), context());
    expect(rendered.subject).toBe('Hello Ada');
    expect(rendered.text).toBe('Ada Lovelace (ada@example.org) backs Spring Appeal: Feed 500 Families\n\nGive: https://give.example.org/d/1\n\nUnsubscribe: https://give.example.org/u?t=a&b=c');
    expect(rendered.html).toContain('<p>Ada Lovelace (ada@example.org) backs Spring Appeal: Feed 500 Families</p>');
  });

  it.each([[undefined], [null], [''], ['   ']])('greets a donor with first name %p as "friend"', (firstName) => {
    const rendered = renderStep(step(), context({ donor: { first_name: firstName } }));
    expect(rendered.subject).toBe('Hello friend');
    expect(rendered.text.startsWith('Dear friend,')).toBe(true);
  });

  it('escapes donor fields in the html, and only there', () => {
    const donor = { first_name: '<script>alert("x")</script>', last_name: "O'Brien & Sons", email: 'a@b.c' };
    const rendered = renderStep(step({ message: '{{donor.first_name}} {{donor.last_name}}' }), context({ donor }));
    expect(rendered.html).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; O&#x27;Brien &amp; Sons');
    expect(rendered.html).not.toContain('<script>');
    expect(rendered.text).toContain(`<script>alert("x")</script> O'Brien & Sons`);
    expect(rendered.subject).toBe('Hello <script>alert("x")</script>');
  });

  it("escapes the step's own text in the html part, and only there", () => {
    const rendered = renderStep(step({ subject_line: 'Tom & Jerry <3', message: "Tom & Jerry's <3", call_to_action: 'Go "now"' }), context());
    expect(rendered.subject).toBe('Tom & Jerry <3');
    expect(rendered.text.startsWith("Tom & Jerry's <3\n\nGo \"now\"")).toBe(true);
    expect(rendered.html).toContain('<p>Tom &amp; Jerry&#x27;s &lt;3</p>\n<p><strong>Go &quot;now&quot;</strong></p>');
  });

  it('escapes the unsubscribe link in the html attribute', () => {
    expect(renderStep(step(), context()).html).toContain('<a href="https://give.example.org/u?t&#x3D;a&amp;b&#x3D;c">Unsubscribe</a>');
    const hostile = context({ links: { donate: 'd', unsubscribe: 'https://x.example/"><script>' } });
    expect(renderStep(step(), hostile).html).toContain('<a href="https://x.example/&quot;&gt;&lt;script&gt;">Unsubscribe</a>');
  });

  it('turns blank lines into paragraphs and line breaks into <br> in the html', () => {
    const rendered = renderStep(step({ message: 'One\nline two\n\n\nThree' }), context());
    expect(rendered.html.split('\n').slice(0, 3)).toEqual(['<p>One<br>', 'line two</p>', '<p>Three</p>']);
    expect(rendered.text.startsWith('One\nline two\n\n\nThree\n\n')).toBe(true);
  });

  it('keeps the subject on one line', () => {
    expect(renderStep(step({ subject_line: 'A\n  {{donor.first_name}} ' }), context({ donor: { first_name: 'B\r\nBcc: x' } })).subject).toBe('A B Bcc: x');
  });

  describe('segment overrides', () => {
    const customized = step({
      segment_customization: {
        Champions: { subject_line: 'Champion {{donor.first_name}}', emphasis: 'ongoing_partnership' },
        'At Risk': { message: 'We miss you, {{donor.first_name}}.' },
      },
    });

    it('uses the override subject for that segment, keeping the step message', () => {
      const rendered = renderStep(customized, context({ segment: 'Champions' }));
      expect(rendered.subject).toBe('Champion Ada');
      expect(rendered.text.startsWith('Dear Ada,')).toBe(true);
    });

    it('uses the override message for that segment, keeping the step subject', () => {
      const rendered = renderStep(customized, context({ segment: 'At Risk' }));
      expect(rendered.subject).toBe('Hello Ada');
      expect(rendered.text.startsWith('We miss you, Ada.')).toBe(true);
    });

    it.each([['Loyal'], [null]] as const)('uses the step itself for segment %p', (segment) => {
      const rendered = renderStep(customized, context({ segment }));
      expect(rendered.subject).toBe('Hello Ada');
      expect(rendered.text.startsWith('Dear Ada,')).toBe(true);
    });
  });

  it('refuses to render a template that never went through compileStep', () => {
    const error = templateError(() => renderStep(step({ message: 'Hi {{donor.password}}' }), context()));
    expect(error.field).toBe('message');
    const override = step({ segment_customization: { Loyal: { subject_line: '{{x}}' } } });
    expect(templateError(() => renderStep(override, context({ segment: 'Loyal' }))).field).toBe('segment_customization.Loyal.subject_line');
  });

  it('renders the same template for many donors consistently', () => {
    const template = step();
    const names = Array.from({ length: 2_000 }, (_, i) => `Donor${i}`);
    const subjects = names.map((first_name) => renderStep(template, context({ donor: { first_name } })).subject);
    expect(subjects).toEqual(names.map((name) => `Hello ${name}`));
  });

  it('keeps working when more distinct templates pass through than the cache holds', () => {
    for (let i = 0; i < 1_200; i++) {
      expect(renderStep(step({ subject_line: `Subject ${i} {{donor.first_name}}` }), context()).subject).toBe(`Subject ${i} Ada`);
    }
    expect(renderStep(step({ subject_line: 'Subject 0 {{donor.first_name}}' }), context()).subject).toBe('Subject 0 Ada');
  });
});
