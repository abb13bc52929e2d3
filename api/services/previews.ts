import type { EntityManager } from '@mikro-orm/postgresql';
import type { Reader } from '../../activities/delivery/compose';
import type { StepContext } from '../../activities/delivery/step-context';
import { stepContextOrNull } from '../../activities/previews/preview';
import { type ReaderChoice, loadReader } from '../../activities/previews/reader';
import type { RfmSegment } from '../../domain/rfm';
import { conflict, notFound } from '../problem';
import { requireCampaign } from './campaigns/campaign-guard';

interface StepRef { campaignId: string; stepNumber: number }
interface ReaderFields { donor_id?: string; segment?: RfmSegment }

async function requireStep(em: EntityManager, scope: StepRef): Promise<StepContext> {
  await requireCampaign(em, scope.campaignId);
  const context = await stepContextOrNull(em, scope);
  if (!context) throw notFound(`step ${scope.stepNumber}`);
  return context;
}

/** The reader the fields name (404 naming the field when there is none), or null when they name nobody. */
async function namedReader(em: EntityManager, campaignId: string, fields: ReaderFields, where: 'query' | 'body'): Promise<Reader | null> {
  if (fields.donor_id !== undefined) {
    const reader = await loadReader(em, campaignId, { donorId: fields.donor_id });
    if (!reader) throw notFound('donor', `${where}.donor_id`);
    return reader;
  }
  if (fields.segment !== undefined) {
    const reader = await loadReader(em, campaignId, { segment: fields.segment });
    if (!reader) throw notFound(`a donor of segment ${fields.segment} with an email address`, `${where}.segment`);
    return reader;
  }
  return null;
}

/** A named reader is pinned by id, so a segment's sample donor is the one the test was asked for even if segments change meanwhile. */
function choiceOf(reader: Reader | null): ReaderChoice {
  return reader?.donorId ? { donorId: reader.donorId } : { sample: true };
}

/**
 * What a preview renders: the step (404 without it) and a donor with an email address (409 without one: the
 * send would skip them), with their phone for a step's text (null when they have none).
 */
export async function previewContext(em: EntityManager, scope: StepRef, query: ReaderFields): Promise<{ context: StepContext; reader: Reader & { donorId: string; email: string; phone: string | null } }> {
  const context = await requireStep(em, scope);
  const reader = await namedReader(em, scope.campaignId, query, 'query');
  if (!reader?.donorId) throw notFound('donor', 'query.donor_id');
  const { donorId, email } = reader;
  if (!email) throw conflict('the donor has no email address: the step would skip them (no_address)', { reasons: ['no_address'] });
  const [{ phone }] = await em.execute<{ phone: string | null }[]>('select phone from donors where id = ?', [donorId]);
  return { context, reader: { ...reader, donorId, email, phone } };
}

/** Checks a test send's step and reader; the reader is then pinned for the workflow. */
export async function testSendTarget(em: EntityManager, scope: StepRef, body: ReaderFields): Promise<ReaderChoice> {
  await requireStep(em, scope);
  return choiceOf(await namedReader(em, scope.campaignId, body, 'body'));
}

/**
 * Hands out the campaign's next rehearsal number (1, 2, …) under the campaign's row lock, so two requests
 * never share one. A number whose workflow then failed to start stays used: numbers may skip, never repeat.
 */
export async function nextRehearsalNumber(em: EntityManager, campaignId: string, body: ReaderFields): Promise<{ number: number; reader: ReaderChoice }> {
  await requireCampaign(em, campaignId, { forUpdate: true });
  const [{ steps }] = await em.execute<{ steps: number }[]>(
    `select count(*)::int as steps from track15_narrative_steps where campaign_id = ? and channel in ('email', 'email_and_sms')`, [campaignId]);
  if (steps === 0) throw conflict('the campaign has no email steps to rehearse', { reasons: ['no email steps'] });
  const reader = choiceOf(await namedReader(em, campaignId, body, 'body'));
  const [{ number }] = await em.execute<{ number: number }[]>(
    'update campaigns set track15_rehearsals = track15_rehearsals + 1 where id = ? returning track15_rehearsals as number', [campaignId]);
  return { number, reader };
}
