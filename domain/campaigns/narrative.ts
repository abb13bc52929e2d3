import { RFM_SEGMENTS, type RfmSegment } from '../rfm';

/**
 * The Track15 narrative arc: five stages over fifteen touchpoints, and the season templates a manager
 * starts from. Texts are Handlebars templates rendered per donor at send time (domain/delivery/message-template).
 */
export const STAGES = ['awareness', 'engagement', 'consideration', 'conversion', 'gratitude'] as const;
export type Stage = (typeof STAGES)[number];
export const SEASONS = ['spring', 'summer', 'fall', 'year_end'] as const;
export type Season = (typeof SEASONS)[number];

/** Seed 000's distribution: 3 awareness, 3 engagement, 4 consideration, 3 conversion, 2 gratitude. */
export const STAGE_DISTRIBUTION: Readonly<Record<Stage, number>> = { awareness: 3, engagement: 3, consideration: 4, conversion: 3, gratitude: 2 };
export const STEP_COUNT = 15;

export function stageOfStep(stepNumber: number): Stage {
  if (!Number.isInteger(stepNumber) || stepNumber < 1 || stepNumber > STEP_COUNT) throw new RangeError(`step numbers run from 1 to 15, got ${stepNumber}`);
  let lastOfStage = 0;
  for (const stage of STAGES) {
    lastOfStage += STAGE_DISTRIBUTION[stage];
    if (stepNumber <= lastOfStage) return stage;
  }
  throw new RangeError(`STAGE_DISTRIBUTION covers fewer than ${STEP_COUNT} steps`);
}

export function isConversionAsk(stage: Stage): boolean {
  return stage === 'conversion';
}

export type CoreStory = { headline: string; summary: string; value_proposition: string; donor_motivation: string };
export const CORE_STORY_FIELDS = ['headline', 'summary', 'value_proposition', 'donor_motivation'] as const satisfies readonly (keyof CoreStory)[];

/** The core story fields that are absent or blank, in their usual order. */
export function missingStoryFields(story: Partial<CoreStory> | null | undefined): (keyof CoreStory)[] {
  return CORE_STORY_FIELDS.filter((field) => typeof story?.[field] !== 'string' || story[field].trim() === '');
}

export type SegmentOverride = { subject_line?: string; emphasis?: string; message?: string };
export type SegmentCustomization = Partial<Record<RfmSegment, SegmentOverride>>;

export type NarrativeStepDraft = {
  step_number: number;
  stage: Stage;
  day: number;
  subject_line: string;
  message: string;
  call_to_action: string;
  segment_customization: SegmentCustomization | null;
};

/** What makes one season's arc read differently from another's. */
interface SeasonVoice {
  /** The season as a sentence names it. */
  when: string;
  /** Opens the arc: why this season. */
  moment: string;
  /** The need as it looks in this season. */
  need: string;
  /** The deadline the conversion asks lean on. */
  deadline: string;
  /** A line the final ask adds to close the season. */
  closing: string;
  /** What the thank-you looks back on. */
  thanks: string;
}

const VOICES: Record<Season, SeasonVoice> = {
  spring: {
    when: 'this spring',
    moment: 'Spring is a season of renewal, and this spring we are starting something new',
    need: 'As winter reserves run out, spring is when families feel the squeeze most quietly.',
    deadline: 'before spring turns to summer',
    closing: 'Help this season of new beginnings reach every family that needs one.',
    thanks: 'Because of you, this spring brought a fresh start',
  },
  summer: {
    when: 'this summer',
    moment: 'Summer should be a carefree season, but for many it is the hardest stretch of the year',
    need: 'When school is out, the meals and support that come with it stop too, and need peaks.',
    deadline: 'before the long summer days run out',
    closing: 'Help us carry everyone through to September.',
    thanks: 'Because of you, this summer was a little lighter for the people we serve',
  },
  fall: {
    when: 'this fall',
    moment: 'As the leaves turn and the days shorten, we are getting ready for the months ahead',
    need: 'Fall is when we prepare: what we gather now decides how well we meet the cold months.',
    deadline: 'before the first frost',
    closing: 'Help us head into winter ready.',
    thanks: 'Because of you, we go into winter prepared',
  },
  year_end: {
    when: 'this giving season',
    moment: 'As the year draws to a close, we are looking back at what we did together, and ahead to what comes next',
    need: 'The end of the year is when generosity means the most, and when need is at its highest.',
    deadline: 'before December 31, so your gift counts toward this tax year',
    closing: 'Gifts made by midnight on December 31 are tax-deductible for this year.',
    thanks: 'Because of you, this year ended with hope',
  },
};

const GREETING = '{{#if donor.first_name}}{{donor.first_name}}{{else}}friend{{/if}}';
const DEAR = `Dear ${GREETING},`;

type StepText = Pick<NarrativeStepDraft, 'subject_line' | 'message' | 'call_to_action'> & { segments?: SegmentCustomization };

/** The fifteen steps in order; each is a function of the season's voice. */
const ARC: ((voice: SeasonVoice) => StepText)[] = [
  // awareness
  (v) => ({
    subject_line: '{{story.headline}}',
    message: `${DEAR}\n\n${v.moment}: {{story.headline}}.\n\n{{story.summary}}`,
    call_to_action: 'Read their story',
    segments: {
      Champions: { subject_line: `Welcome back, ${GREETING}: meet the people you are helping`, emphasis: 'ongoing_partnership' },
      'New Donors': { subject_line: 'Meet the people we serve, together', emphasis: 'introduction' },
    },
  }),
  (v) => ({ subject_line: 'Why this matters now', message: `${DEAR}\n\n${v.need}\n\n{{story.summary}}`, call_to_action: 'See the need' }),
  () => ({ subject_line: 'A closer look', message: `${DEAR}\n\nHere is what we see every day, and why we do this work.\n\n{{story.donor_motivation}}`, call_to_action: 'Learn more' }),
  // engagement
  () => ({ subject_line: 'One story we cannot stop thinking about', message: `${DEAR}\n\nStories like this one are why {{campaign.name}} exists.\n\n{{story.donor_motivation}}`, call_to_action: 'Read the story' }),
  () => ({ subject_line: 'Behind the scenes', message: `${DEAR}\n\nThis is how support turns into results.\n\n{{story.value_proposition}}`, call_to_action: 'Take a look' }),
  (v) => ({ subject_line: 'You are part of this', message: `${DEAR}\n\nPeople like you make {{story.headline}} possible ${v.when}. Tell a friend why it matters to you.`, call_to_action: 'Share the story' }),
  // consideration
  () => ({ subject_line: 'What your gift does', message: `${DEAR}\n\n{{story.value_proposition}}`, call_to_action: 'See the impact' }),
  () => ({ subject_line: 'The questions we hear most', message: `${DEAR}\n\nWhere does the money go? How do we know it works?\n\n{{story.value_proposition}} Every gift is accounted for.`, call_to_action: 'Read our answers' }),
  (v) => ({ subject_line: 'The difference one gift makes', message: `${DEAR}\n\nOne gift ${v.when} can change what the coming weeks look like for a family.\n\n{{story.summary}}`, call_to_action: 'See how' }),
  (v) => ({ subject_line: 'Almost there', message: `${DEAR}\n\nWe are close to our goal for {{story.headline}}, and we want to reach it ${v.deadline}.`, call_to_action: 'Get ready to give' }),
  // conversion
  (v) => ({
    subject_line: 'Will you give today?',
    message: `${DEAR}\n\nToday we are asking: will you join us ${v.deadline}?\n\n{{story.value_proposition}}`,
    call_to_action: 'Give now: {{links.donate}}',
    segments: {
      Champions: { subject_line: 'You have always been there. Will you lead the way again?', emphasis: 'ongoing_partnership' },
      Loyal: { subject_line: 'Your steady support makes this possible: give again today', emphasis: 'consistency' },
      'New Donors': { subject_line: 'Your first gift started something. Help it grow', emphasis: 'welcome' },
      'At Risk': {
        subject_line: `We have missed you, ${GREETING}`,
        emphasis: 'reconnect',
        message: `${DEAR}\n\nIt has been a while, and a lot has happened. {{story.summary}}\n\nWill you come back and be part of {{story.headline}} ${v.deadline}?`,
      },
    },
  }),
  (v) => ({
    subject_line: 'Time is running out',
    message: `${DEAR}\n\nThere is still time to help ${v.deadline}.\n\n{{story.donor_motivation}}`,
    call_to_action: 'Give before the deadline: {{links.donate}}',
    segments: {
      Champions: { subject_line: 'Your leadership can carry us over the line', emphasis: 'leadership' },
      Loyal: { subject_line: 'Can we count on you once more?', emphasis: 'consistency' },
      'New Donors': { subject_line: 'Your second gift doubles what your first began', emphasis: 'second_gift' },
      'At Risk': { subject_line: 'There is still time to come back', emphasis: 'reconnect' },
    },
  }),
  (v) => ({
    subject_line: 'Last chance to give',
    message: `${DEAR}\n\nThis is our final ask for {{story.headline}}. ${v.closing}\n\n{{story.value_proposition}}`,
    call_to_action: 'Make your gift: {{links.donate}}',
    segments: {
      Champions: { subject_line: 'Final hours: will you finish what you started?', emphasis: 'leadership' },
      Loyal: { subject_line: 'Final hours: one more gift from a loyal friend', emphasis: 'consistency' },
      'New Donors': { subject_line: 'Final hours to make your next gift count', emphasis: 'second_gift' },
      'At Risk': { subject_line: 'Last chance to be part of this', emphasis: 'reconnect' },
    },
  }),
  // gratitude
  (v) => ({ subject_line: 'Thank you', message: `${DEAR}\n\n${v.thanks}. Together we reached people who needed it.`, call_to_action: 'See what we did together' }),
  () => ({ subject_line: 'Your impact', message: `${DEAR}\n\nHere is what {{story.headline}} made possible, and what comes next.\n\n{{story.donor_motivation}}`, call_to_action: 'Read the impact report' }),
];

/**
 * The season's fifteen steps, one a day. They reference the core story as {{story.*}} rather than copying
 * it, so a later edit to the story reaches every step; the story is asked for because the texts are built
 * around it, and an arc started on a blank story would send blank sentences.
 */
export function buildNarrativeSteps(season: Season, story: CoreStory): NarrativeStepDraft[] {
  const missing = missingStoryFields(story);
  if (missing.length > 0) throw new RangeError(`the core story needs ${missing.map((field) => `story.${field}`).join(', ')} before steps can be built from it`);
  const voice = VOICES[season];
  return ARC.map((text, index) => {
    const { segments, ...texts } = text(voice);
    const stepNumber = index + 1;
    return { step_number: stepNumber, stage: stageOfStep(stepNumber), day: stepNumber, ...texts, segment_customization: segments ?? null };
  });
}

/** Problems that keep a set of steps from being a Track15 arc, each naming the step and field; empty when valid. */
export function validateNarrativeSteps(steps: NarrativeStepDraft[]): string[] {
  const problems: string[] = [];
  if (steps.length !== STEP_COUNT) problems.push(`a Track15 campaign needs exactly ${STEP_COUNT} steps, it has ${steps.length}`);
  const firstIndexOf = new Map<number, number>();
  steps.forEach((step, index) => {
    const at = `steps[${index}]`;
    if (!Number.isInteger(step.step_number) || step.step_number < 1 || step.step_number > STEP_COUNT) {
      problems.push(`${at}.step_number must be a whole number 1-${STEP_COUNT}, got ${step.step_number}`);
    } else if (firstIndexOf.has(step.step_number)) {
      problems.push(`${at}.step_number ${step.step_number} is already used by steps[${firstIndexOf.get(step.step_number)}]`);
    } else {
      firstIndexOf.set(step.step_number, index);
      const stage = stageOfStep(step.step_number);
      if (step.stage !== stage) problems.push(`${at}.stage must be '${stage}' for step ${step.step_number}, got '${step.stage}'`);
    }
    if (!Number.isInteger(step.day) || step.day < 1 || step.day > STEP_COUNT) problems.push(`${at}.day must be a whole number 1-${STEP_COUNT}, got ${step.day}`);
    for (const field of ['subject_line', 'message', 'call_to_action'] as const) {
      if (typeof step[field] !== 'string' || step[field].trim() === '') problems.push(`${at}.${field} must not be empty`);
    }
    for (const segment of Object.keys(step.segment_customization ?? {})) {
      if (!(RFM_SEGMENTS as readonly string[]).includes(segment)) problems.push(`${at}.segment_customization has unknown segment '${segment}' (known: ${RFM_SEGMENTS.join(', ')})`);
    }
  });
  const missing = Array.from({ length: STEP_COUNT }, (_, i) => i + 1).filter((n) => !firstIndexOf.has(n));
  if (steps.length > 0 && missing.length > 0) problems.push(missing.length === 1 ? `step number ${missing[0]} is missing` : `step numbers ${missing.join(', ')} are missing`);
  // Order by step number, the way the arc runs; a later step may share a day but not come before it.
  const ordered = [...firstIndexOf.entries()].sort(([a], [b]) => a - b).map(([, index]) => index);
  ordered.slice(1).forEach((index, i) => {
    const previous = ordered[i];
    if (steps[index].day < steps[previous].day) {
      problems.push(`steps[${index}].day ${steps[index].day} of step ${steps[index].step_number} comes before day ${steps[previous].day} of step ${steps[previous].step_number}`);
    }
  });
  return problems;
}
