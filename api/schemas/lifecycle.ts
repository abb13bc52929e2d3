import { z } from 'zod';
import { STAGES } from '../../domain/narrative';
import { TRACK15_STAGES } from './campaigns';
import { text, timestamp, uuid } from './common';

const reason = text().trim().min(1).max(500);
export const PauseBody = z.strictObject({ reason: reason.optional() }).optional();
export const StopBody = z.strictObject({ reason });

export const Activation = z.object({
  workflow_id: z.string(),
  run_id: z.string().nullable(),
  already_active: z.boolean().describe('true when the campaign was already running: activation is idempotent'),
});

const StepTally = z.object({
  sent: z.number().int(),
  skipped: z.number().int(),
  failed: z.number().int(),
  skip_reasons: z.record(z.string(), z.number().int()),
  budget_exhausted: z.boolean(),
});

/** What the campaign workflow itself reports (its `status` query). */
export const WorkflowStatus = z.object({
  stage: z.enum(['active', 'paused', 'completed']),
  current_step: z.number().int().nullable(),
  next_step: z.number().int().nullable(),
  next_due_at: timestamp.nullable().describe('When the next touchpoint goes out, pauses accounted for; null while paused or when done'),
  paused_since: timestamp.nullable(),
  pause_reason: z.string().nullable(),
  stop_reason: z.string().nullable(),
  schedule_shift_ms: z.number(),
  steps: z.record(z.string(), StepTally).describe('Counts by step number, as the workflow tallied them'),
});

export const LiveStatus = z.object({
  campaign_id: uuid,
  stage: z.enum(TRACK15_STAGES).nullable(),
  activated_at: timestamp.nullable(),
  completed_at: timestamp.nullable(),
  paused_at: timestamp.nullable(),
  pause_reason: z.string().nullable(),
  stop_reason: z.string().nullable(),
  recipients: z.object({ test: z.number().int(), control: z.number().int() }),
  next_step: z.number().int().nullable(),
  next_due_at: timestamp.nullable(),
  steps: z.array(z.object({
    step_number: z.number().int(),
    stage: z.enum(STAGES),
    day: z.number().int(),
    deliveries: z.record(z.string(), z.number().int()).describe('Delivery ledger rows by status'),
    skip_reasons: z.record(z.string(), z.number().int()),
  })).describe('Per step, from the delivery ledger in the database'),
  workflow: WorkflowStatus.nullable().describe('null before activation, or when the workflow could not be asked'),
  workflow_error: z.string().optional(),
});
