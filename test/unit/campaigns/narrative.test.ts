import { compileStep } from '../../../domain/delivery/message-template';
import {
  CORE_STORY_FIELDS, type CoreStory, type NarrativeStepDraft, SEASONS, STAGES, STAGE_DISTRIBUTION, type Stage,
  buildNarrativeSteps, isConversionAsk, missingStoryFields, stageOfStep, validateNarrativeSteps,
} from '../../../domain/campaigns/narrative';
import { RFM_SEGMENTS } from '../../../domain/rfm';

const STORY: CoreStory = {
  headline: 'Feed 500 Families This Spring',
  summary: 'Every $50 provides a week of groceries for a family facing food insecurity.',
  value_proposition: 'Your $50 gift provides tangible, measurable impact.',
  donor_motivation: 'Because every child deserves to go to bed with a full stomach.',
};

describe('stages', () => {
  it.each([
    [1, 'awareness'], [3, 'awareness'], [4, 'engagement'], [6, 'engagement'], [7, 'consideration'], [10, 'consideration'],
    [11, 'conversion'], [13, 'conversion'], [14, 'gratitude'], [15, 'gratitude'],
  ])('step %i is %s', (step, stage) => {
    expect(stageOfStep(step)).toBe(stage);
  });

  it.each([0, 16, 1.5, Number.NaN])('has no stage for step %p', (step) => {
    expect(() => stageOfStep(step)).toThrow(RangeError);
  });

  it('distributes the fifteen steps 3, 3, 4, 3, 2 in stage order', () => {
    expect(STAGE_DISTRIBUTION).toEqual({ awareness: 3, engagement: 3, consideration: 4, conversion: 3, gratitude: 2 });
    const counted = Object.fromEntries(STAGES.map((stage) => [stage, 0])) as Record<Stage, number>;
    for (let step = 1; step <= 15; step++) counted[stageOfStep(step)]++;
    expect(counted).toEqual(STAGE_DISTRIBUTION);
  });

  it.each(STAGES.map((stage) => [stage, stage === 'conversion']))('%s is a conversion ask: %p', (stage, ask) => {
    expect(isConversionAsk(stage as Stage)).toBe(ask);
  });
});

describe('missingStoryFields', () => {
  it('names absent and blank fields in order', () => {
    expect(missingStoryFields(STORY)).toEqual([]);
    expect(missingStoryFields({ headline: 'x', summary: '  ' })).toEqual(['summary', 'value_proposition', 'donor_motivation']);
    expect(missingStoryFields(null)).toEqual([...CORE_STORY_FIELDS]);
  });
});

describe('buildNarrativeSteps', () => {
  it.each(SEASONS)('builds a valid fifteen-day arc for %s whose templates all compile', (season) => {
    const steps = buildNarrativeSteps(season, STORY);
    expect(steps).toHaveLength(15);
    expect(steps.map((step) => [step.step_number, step.day, step.stage])).toEqual(
      Array.from({ length: 15 }, (_, i) => [i + 1, i + 1, stageOfStep(i + 1)]),
    );
    expect(validateNarrativeSteps(steps)).toEqual([]);
    steps.forEach((step, index) => expect(() => compileStep(step, `steps[${index}].`)).not.toThrow());
  });

  it.each(SEASONS)('references every core story field and greets by first name with a fallback (%s)', (season) => {
    const all = buildNarrativeSteps(season, STORY).map((step) => `${step.subject_line}\n${step.message}`).join('\n');
    for (const field of CORE_STORY_FIELDS) expect(all).toContain(`{{story.${field}}}`);
    expect(all).toContain('{{#if donor.first_name}}{{donor.first_name}}{{else}}friend{{/if}}');
  });

  it('references the story instead of copying it, so a later edit reaches every step', () => {
    const text = JSON.stringify(buildNarrativeSteps('spring', STORY));
    for (const field of CORE_STORY_FIELDS) expect(text).not.toContain(STORY[field]);
  });

  it('reads differently in each season', () => {
    const texts = SEASONS.map((season) => buildNarrativeSteps(season, STORY).map((step) => step.message));
    for (let a = 0; a < SEASONS.length; a++) {
      for (let b = a + 1; b < SEASONS.length; b++) {
        const differing = texts[a].filter((message, i) => message !== texts[b][i]).length;
        expect({ pair: [SEASONS[a], SEASONS[b]], differing: differing >= 5 }).toEqual({ pair: [SEASONS[a], SEASONS[b]], differing: true });
      }
    }
  });

  it.each([
    ['spring', /renewal/],
    ['summer', /school is out/],
    ['fall', /first frost/],
    ['year_end', /tax year/],
  ] as const)('speaks to %s', (season, phrase) => {
    expect(buildNarrativeSteps(season, STORY).map((step) => step.message).join('\n')).toMatch(phrase);
  });

  it('customizes every conversion step for Champions, Loyal, New Donors and At Risk', () => {
    for (const season of SEASONS) {
      const conversion = buildNarrativeSteps(season, STORY).filter((step) => isConversionAsk(step.stage));
      expect(conversion).toHaveLength(3);
      for (const step of conversion) {
        expect(Object.keys(step.segment_customization ?? {}).sort()).toEqual(['At Risk', 'Champions', 'Loyal', 'New Donors']);
      }
      // Subject lines change from ask to ask, so a segment never gets the same subject three days running.
      for (const segment of ['Champions', 'Loyal', 'New Donors', 'At Risk'] as const) {
        expect(new Set(conversion.map((step) => step.segment_customization![segment]!.subject_line)).size).toBe(3);
      }
    }
  });

  it('uses only known segments in its customizations', () => {
    for (const step of buildNarrativeSteps('year_end', STORY)) {
      for (const segment of Object.keys(step.segment_customization ?? {})) expect(RFM_SEGMENTS).toContain(segment);
    }
  });

  it('refuses a story with blank fields, naming them', () => {
    expect(() => buildNarrativeSteps('fall', { ...STORY, summary: ' ', donor_motivation: '' })).toThrow(/story\.summary, story\.donor_motivation/);
  });
});

describe('validateNarrativeSteps', () => {
  const valid = () => buildNarrativeSteps('spring', STORY);
  const withStep = (index: number, change: Partial<NarrativeStepDraft>) => valid().map((step, i) => (i === index ? { ...step, ...change } : step));

  it('accepts a complete arc in any array order', () => {
    expect(validateNarrativeSteps(valid())).toEqual([]);
    expect(validateNarrativeSteps(valid().reverse())).toEqual([]);
  });

  it('accepts steps sharing a day', () => {
    expect(validateNarrativeSteps(valid().map((step) => ({ ...step, day: Math.ceil(step.step_number / 2) })))).toEqual([]);
  });

  it('needs exactly fifteen steps, naming the missing ones', () => {
    expect(validateNarrativeSteps([])).toEqual(['a Track15 campaign needs exactly 15 steps, it has 0']);
    expect(validateNarrativeSteps(valid().filter((step) => step.step_number !== 4 && step.step_number !== 9))).toEqual([
      'a Track15 campaign needs exactly 15 steps, it has 13',
      'step numbers 4, 9 are missing',
    ]);
    const sixteen = [...valid(), { ...valid()[14] }];
    expect(validateNarrativeSteps(sixteen)).toEqual([
      'a Track15 campaign needs exactly 15 steps, it has 16',
      'steps[15].step_number 15 is already used by steps[14]',
    ]);
  });

  it('names a repeated step number and the one it leaves missing', () => {
    expect(validateNarrativeSteps(withStep(2, { step_number: 2, stage: 'awareness' }))).toEqual([
      'steps[2].step_number 2 is already used by steps[1]',
      'step number 3 is missing',
    ]);
  });

  it.each([0, 16, 2.5])('names a step number of %p', (stepNumber) => {
    expect(validateNarrativeSteps(withStep(0, { step_number: stepNumber }))).toEqual([
      `steps[0].step_number must be a whole number 1-15, got ${stepNumber}`,
      'step number 1 is missing',
    ]);
  });

  it('names a stage that does not match the step number', () => {
    expect(validateNarrativeSteps(withStep(10, { stage: 'gratitude' }))).toEqual(["steps[10].stage must be 'conversion' for step 11, got 'gratitude'"]);
  });

  it.each([0, 16, 3.5])('names a day of %p', (day) => {
    expect(validateNarrativeSteps(withStep(0, { day }))).toContain(`steps[0].day must be a whole number 1-15, got ${day}`);
  });

  it('names a step that comes before the step ahead of it', () => {
    expect(validateNarrativeSteps(withStep(5, { day: 4 }))).toEqual(['steps[5].day 4 of step 6 comes before day 5 of step 5']);
  });

  it('orders by step number, not by position in the array, when checking days', () => {
    const steps = valid().reverse();
    expect(validateNarrativeSteps(steps)).toEqual([]);
    steps[0] = { ...steps[0], day: 1 }; // step 15 on day 1
    expect(validateNarrativeSteps(steps)).toEqual(['steps[0].day 1 of step 15 comes before day 14 of step 14']);
  });

  it.each(['subject_line', 'message', 'call_to_action'] as const)('names an empty or blank %s', (field) => {
    expect(validateNarrativeSteps(withStep(6, { [field]: '' }))).toEqual([`steps[6].${field} must not be empty`]);
    expect(validateNarrativeSteps(withStep(6, { [field]: ' \n ' }))).toEqual([`steps[6].${field} must not be empty`]);
  });

  it('names an unknown segment in a customization', () => {
    const problems = validateNarrativeSteps(withStep(11, { segment_customization: { Champions: { subject_line: 'x' }, ['Whales' as 'Loyal']: { subject_line: 'y' } } }));
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^steps\[11\]\.segment_customization has unknown segment 'Whales'/);
  });

  it('reports every problem at once', () => {
    const steps = withStep(0, { day: 0, subject_line: '', stage: 'gratitude' });
    expect(validateNarrativeSteps(steps)).toEqual([
      "steps[0].stage must be 'awareness' for step 1, got 'gratitude'",
      'steps[0].day must be a whole number 1-15, got 0',
      'steps[0].subject_line must not be empty',
    ]);
  });
});
