import { z } from 'zod';
import { CampaignProgress, track15Stage } from './campaigns';
import { choice, text, timestamp, uuid } from './common';
import { narrativeStage } from './narrative';

const reason = text().trim().min(1).max(500);
/** Every field optional: the body may be left out (plugins/empty-body.ts). */
export const PauseBody = z.strictObject({ reason: reason.optional().describe('Why, shown in the status and the Temporal UI') });
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
  stage: choice({
    active: 'running: touchpoints go out as scheduled',
    paused: 'no new touchpoint starts until resumed',
    completed: 'the arc has ended (all steps done, or stopped)',
  }, 'The workflow\'s own stage'),
  current_step: z.number().int().nullable(),
  next_step: z.number().int().nullable(),
  next_due_at: timestamp.nullable().describe('When the next touchpoint goes out, pauses accounted for; null while paused or when done'),
  paused_since: timestamp.nullable(),
  pause_reason: z.string().nullable(),
  stop_reason: z.string().nullable(),
  schedule_shift_ms: z.number(),
  steps: z.record(z.string(), StepTally).describe('Counts by step number, as the workflow tallied them'),
});

export const StatusQuery = z.strictObject({
  live: choice({
    true: 'also ask the running workflow itself (its status query, through a worker; up to 5 s) and return its answer as `workflow`',
    false: 'the routine status, from the database and Temporal\'s describe only (also when absent)',
  }, 'Whether to ask the running workflow').optional(),
});

const LastFailure = z.object({
  step: z.number().int().nullable().describe('The touchpoint running when the arc failed; null outside one'),
  activity: z.string().nullable().describe('The activity that failed (e.g. deliverBatch, completeCampaign)'),
  type: z.string().describe('The failure type: DataRejected when the database refused the data (no retry), CampaignNotFound, …'),
  reason: z.string(),
  at: timestamp,
}).describe('Why the arc stopped on a failure, as the workflow recorded it');

const ChannelCounts = z.object({
  deliveries: z.record(z.string(), z.number().int()).describe('Ledger rows by outcome: pending, sent, failed, skipped'),
  skip_reasons: z.record(z.string(), z.number().int()).describe('Skipped rows by reason'),
});

export const LiveStatus = z.object({
  campaign_id: uuid,
  stage: track15Stage('The campaign\'s stage in the database').nullable(),
  activated_at: timestamp.nullable(),
  completed_at: timestamp.nullable(),
  paused_at: timestamp.nullable(),
  pause_reason: z.string().nullable(),
  stop_reason: z.string().nullable(),
  recipients: z.object({ test: z.number().int(), control: z.number().int() }).describe('The audience frozen at activation'),
  current_step: z.number().int().nullable().describe('The touchpoint last started (Temporal search attribute CurrentStep); null when Temporal did not answer'),
  next_step: z.number().int().nullable(),
  next_due_at: timestamp.nullable().describe('When the next touchpoint goes out, as the workflow last published it; null while paused, when done, or when Temporal did not answer'),
  last_failure: LastFailure.nullable(),
  progress: CampaignProgress,
  steps: z.array(z.object({
    step_number: z.number().int(),
    stage: narrativeStage('The arc stage of the step'),
    day: z.number().int(),
    deliveries: ChannelCounts.shape.deliveries
      .describe('Delivery ledger rows (messages: a step sent by email and SMS has a row per channel for each donor) by outcome: pending (being sent), sent (delivery facts such as delivered or opened included), failed, skipped'),
    skip_reasons: ChannelCounts.shape.skip_reasons,
    channels: z.object({ email: ChannelCounts.optional(), sms: ChannelCounts.optional() })
      .describe('The same counts for each channel the step has rows on (email and sms for a step sent by both)'),
  })).describe('Per step, from counters kept with the delivery ledger in the database'),
  live: choice({
    answered: 'Temporal described the run',
    unavailable: 'Temporal did not answer; the rest is what the database holds',
    not_activated: 'no run to ask',
  }, 'Whether Temporal answered the describe of the run within 1 s'),
  execution: z.object({
    status: z.string().describe('Temporal execution status: RUNNING, COMPLETED, FAILED, TERMINATED, CANCELLED, TIMED_OUT'),
    stage: z.string().nullable().describe('Search attribute Track15Stage'),
    current_step: z.number().int().nullable(),
    next_step: z.number().int().nullable(),
    next_due_at: timestamp.nullable(),
  }).nullable().describe('What Temporal\'s describe holds of the run (search attributes and memo); null unless live is answered'),
  live_error: z.string().optional().describe('Why Temporal did not answer'),
  workflow: WorkflowStatus.nullable().describe('The workflow\'s own answer to its status query: only with ?live=true, null otherwise or when it could not be asked'),
  workflow_error: z.string().optional(),
});
