import type { EntityManager } from '@mikro-orm/postgresql';
import type { StepAbTest } from '../../../domain/experiments/ab-test';
import { compileStep } from '../../../domain/delivery/message-template';
import { type CoreStory, type NarrativeStepDraft, missingStoryFields, validateNarrativeSteps } from '../../../domain/campaigns/narrative';
import { type FieldError, conflict, invalid, notFound } from '../../problem';
import type { StepChannel } from '../../../domain/delivery/channels';
import { isLaunched, requireCampaign } from './campaign-guard';

export type StepInput = NarrativeStepDraft & { channel: StepChannel; ab_test?: StepAbTest | null };
export type StepPatch = Partial<Omit<StepInput, 'step_number' | 'stage'>>;

const STEP_COLUMNS = 'step_number, stage, day, subject_line, message, call_to_action, segment_customization, channel, ab_test, updated_at';

export function listSteps(em: EntityManager, campaignId: string): Promise<(Required<StepInput> & { updated_at: string })[]> {
  return em.execute(`select ${STEP_COLUMNS} from track15_narrative_steps where campaign_id = ? order by step_number`, [campaignId]);
}

export async function insertSteps(em: EntityManager, clientId: string, campaignId: string, steps: Partial<StepInput>[]): Promise<void> {
  await em.execute(
    `insert into track15_narrative_steps (campaign_id, client_id, step_number, stage, day, subject_line, message, call_to_action, segment_customization, channel, ab_test)
     select ?, ?, x.step_number, x.stage, x.day, x.subject_line, x.message, x.call_to_action, x.segment_customization, coalesce(x.channel, 'email'), x.ab_test
       from json_to_recordset(?::json) as x(step_number int, stage text, day int, subject_line text, message text,
                                           call_to_action text, segment_customization jsonb, channel text, ab_test jsonb)`,
    [campaignId, clientId, JSON.stringify(steps)],
  );
}

/**
 * The arc rules (domain/campaigns/narrative) run when steps are saved, so a mistake fails this request, naming the
 * field, instead of a send in the middle of the arc. `fieldOf` turns the domain's `steps[i].field` into
 * where the value was in this request; `relevant` picks which problems count.
 */
function checkArc(steps: StepInput[], fieldOf: (domainField: string) => string, relevant: (problem: string) => boolean = () => true): void {
  const errors: FieldError[] = validateNarrativeSteps(steps).filter(relevant).map((message) => ({
    field: fieldOf(/^(steps\[\d+\](?:\.\w+)?)/.exec(message)?.[1] ?? 'steps'),
    message,
  }));
  if (errors.length > 0) throw invalid(errors);
}

async function editableTrack15Campaign(em: EntityManager, campaignId: string) {
  const campaign = await requireCampaign(em, campaignId, { forUpdate: true });
  if (!campaign.track15_enabled) throw conflict('this is not a Track15 campaign; it has no narrative steps');
  if (isLaunched(campaign)) throw conflict('the campaign has been activated; its steps can no longer change', { reasons: [`stage is ${campaign.track15_stage}`] });
  return campaign;
}

export async function replaceSteps(em: EntityManager, clientId: string, campaignId: string, steps: StepInput[]) {
  await editableTrack15Campaign(em, campaignId);
  checkArc(steps, (field) => `body.${field}`);
  // Throws a TemplateError naming the field (steps[i].message…); the error handler makes it a 400.
  steps.forEach((step, index) => compileWithVariants(step, `steps[${index}].`));
  await em.execute('delete from track15_narrative_steps where campaign_id = ?', [campaignId]);
  await insertSteps(em, clientId, campaignId, steps);
  return listSteps(em, campaignId);
}

/**
 * Changes one step. The arc is checked as a whole (a day can clash with a neighbour's), but only for
 * problems this change brings: an arc still being written may lack steps, and that is not this patch's fault.
 */
export async function patchStep(em: EntityManager, campaignId: string, stepNumber: number, patch: StepPatch) {
  await editableTrack15Campaign(em, campaignId);
  const before = await listSteps(em, campaignId);
  const index = before.findIndex((step) => step.step_number === stepNumber);
  if (index < 0) throw notFound(`step ${stepNumber}`);
  const after = before.map((step, i) => (i === index ? { ...step, ...patch } : step));
  const existing = new Set(validateNarrativeSteps(before));
  checkArc(after, (field) => field.replace(/^steps\[\d+\]\.?/, 'body.').replace(/\.$/, ''), (problem) => !existing.has(problem));
  compileWithVariants(after[index]);
  const { channel, day, subject_line, message, call_to_action, segment_customization, ab_test } = after[index];
  const json = (value: unknown) => (value === null || value === undefined ? null : JSON.stringify(value));
  await em.execute(
    `update track15_narrative_steps set day = ?, subject_line = ?, message = ?, call_to_action = ?, segment_customization = ?::jsonb, channel = ?,
            ab_test = ?::jsonb
      where campaign_id = ? and step_number = ?`,
    [day, subject_line, message, call_to_action, json(segment_customization), channel, json(ab_test), campaignId, stepNumber],
  );
  return (await listSteps(em, campaignId))[index];
}

/**
 * Compiles the step's templates and each A/B variant's (a TemplateError names the field, e.g.
 * steps[3].ab_test.variants[1].subject_line); a variant is checked as the step it makes.
 */
function compileWithVariants(step: StepInput, prefix = ''): void {
  compileStep(step, prefix);
  step.ab_test?.variants.forEach((variant, index) => {
    // Only the fields the variant sets: compileStep skips the undefined ones.
    const fields = { subject_line: variant.subject_line, message: variant.message, segment_customization: null } as Parameters<typeof compileStep>[0];
    compileStep(fields, `${prefix}ab_test.variants[${index}].`);
  });
}

/** Why the campaign cannot be marked ready for launch; empty when it can. */
export async function readinessProblems(em: EntityManager, campaignId: string, story: Partial<CoreStory> | null): Promise<string[]> {
  const missing = missingStoryFields(story).map((field) => `the core story needs ${field}`);
  return [...missing, ...validateNarrativeSteps(await listSteps(em, campaignId))];
}
