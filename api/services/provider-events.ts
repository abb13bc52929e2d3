import { createHash } from 'node:crypto';
import { type Client, WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import { z } from 'zod';
import type { SendGridEventBatch, SendGridEventInput } from '../../activities/email/sendgrid-events';
import { meaningOf } from '../../domain/email/email-events';
import { textFault } from '../../domain/text';
import { text } from '../schemas/common';
import { groupBy } from '../../domain/group-by';
import { sendGridEventsWorkflow } from '../../workflows/provider-events';

export interface Dispatch { temporal: Client; taskQueue: string }
export interface Accepted { received: true; duplicate: boolean; ignored: number }

/**
 * Starts the workflow that applies an event, under an id derived from the event: a redelivery of a
 * running or finished one is refused by Temporal (and, past its retention, by the event ids recorded
 * in the database), so the webhook can answer at once and still apply everything exactly once.
 */
export async function startOnce(run: () => Promise<unknown>): Promise<boolean> {
  try {
    await run();
    return false;
  } catch (error) {
    if (error instanceof WorkflowExecutionAlreadyStartedError) return true;
    throw error;
  }
}

/** Neither a running nor a closed workflow of the same id may start again: either is a duplicate. */
export const ONCE = { workflowIdReusePolicy: 'REJECT_DUPLICATE', workflowIdConflictPolicy: 'FAIL' } as const;

const uuidOrNull = z.uuid().nullable().catch(null);

/** SendGrid's ids and addresses obey the product's text rule (no NUL, controls or lone surrogates, which PostgreSQL cannot store). */
const eventText = (max: number) => text().max(max);

/**
 * One Event Webhook event the product acts on, as SendGrid sends it (Event Webhook reference): unknown
 * members are kept aside, custom_args arrive as top-level members and are read leniently (a member of
 * the same name from another integration is not ours, not an error).
 */
export const SendGridEvent = z.looseObject({
  sg_event_id: eventText(100).min(1),
  event: eventText(40).min(1),
  email: eventText(320).min(3),
  timestamp: z.number().int().nonnegative(),
  sg_message_id: eventText(300).optional(),
  /** bounce: "bounce" or "blocked". */
  type: eventText(40).optional(),
  /** bounce: the receiving server's answer; dropped: SendGrid's reason ("Bounced Address"...). */
  reason: z.string().optional(),
  client_id: z.unknown().optional(),
  /** Set on test sends and rehearsals (activities/previews/test-send.ts): their events count nowhere. */
  test: z.unknown().optional(),
  campaign_id: z.unknown().optional(),
  donor_id: z.unknown().optional(),
  step_number: z.unknown().optional(),
});

const EventType = z.looseObject({ event: z.string() });

/** A provider's free text kept as a label: its first 500 characters, any the text rule refuses turned into spaces. */
function storableLabel(value: string): string {
  return [...value.slice(0, 500)].map((character) => (textFault(character) ? ' ' : character)).join('');
}

/** A POST holds an array of events; SendGrid batches them (a few thousand at most). */
export const SendGridEvents = z.array(z.unknown()).max(10_000);

/** An event that could not be read: where it is in the batch and why, for the log. */
export interface MalformedEvent { index: number; problems: string[] }

/** A verified batch sorted per event: applied per client, attributed later, or counted and skipped. */
export interface SortedSendGridEvents {
  batches: SendGridEventBatch[];
  /** Events the product acts on that name no client: matched by sg_message_id in the workflow. */
  unattributed: SendGridEventInput[];
  /** Types the product does not act on (processed, deferred, account_status_change...), events of test messages, and events with neither custom_args nor sg_message_id. */
  ignored: number;
  malformed: MalformedEvent[];
}

/**
 * Sorts a verified batch event by event, so one event the product cannot read or does not use never
 * costs the others: SendGrid redelivers a batch that is refused and finally drops it, with every
 * unsubscribe in it. The type is looked at first, so an event of a type the product ignores need not
 * have the fields of the others (account_status_change carries no email).
 */
export function sortSendGridEvents(events: unknown[]): SortedSendGridEvents {
  const ours: { clientId: string; input: SendGridEventInput }[] = [];
  const unattributed: SendGridEventInput[] = [];
  const malformed: MalformedEvent[] = [];
  let ignored = 0;
  events.forEach((raw, index) => {
    const type = EventType.safeParse(raw);
    if (!type.success) {
      malformed.push({ index, problems: ['event: required, a string'] });
      return;
    }
    if (!meaningOf(type.data.event)) {
      ignored++;
      return;
    }
    const parsed = SendGridEvent.safeParse(raw);
    if (!parsed.success) {
      malformed.push({ index, problems: parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`) });
      return;
    }
    const event = parsed.data;
    // A test message's opens, clicks and bounces are the staff's, not a donor's: never stats, analytics or preferences.
    if (event.test !== undefined) {
      ignored++;
      return;
    }
    const step = Number(event.step_number);
    const input: SendGridEventInput = {
      sgEventId: event.sg_event_id, event: event.event, email: event.email, timestamp: event.timestamp,
      campaignId: uuidOrNull.parse(event.campaign_id ?? null), donorId: uuidOrNull.parse(event.donor_id ?? null),
      stepNumber: Number.isInteger(step) && step >= 1 && step <= 15 ? step : null,
      sgMessageId: event.sg_message_id ?? null, bounceType: event.type ?? null,
      // Kept short and storable: it is a label, not a transcript.
      reason: event.reason === undefined ? null : storableLabel(event.reason),
    };
    const clientId = uuidOrNull.parse(event.client_id ?? null);
    if (clientId) ours.push({ clientId, input });
    else if (input.sgMessageId) unattributed.push(input);
    else ignored++;
  });
  const byClient = groupBy(ours, (event) => event.clientId);
  return {
    batches: [...byClient].map(([clientId, batch]) => ({ clientId, events: batch.map((event) => event.input) })),
    unattributed, ignored, malformed,
  };
}

export interface SendGridAccepted extends Accepted {
  /** Events that could not be read; skipped, the rest applied. */
  malformed: number;
}

/**
 * Hands a verified batch to one workflow. Its id is a digest of the event ids it applies, so the same
 * events (in any order) make the same id and a redelivered batch joins or is refused.
 */
export async function dispatchSendGridEvents(deps: Dispatch, sorted: SortedSendGridEvents): Promise<SendGridAccepted> {
  const { batches, unattributed, ignored, malformed } = sorted;
  const counts = { ignored, malformed: malformed.length };
  const ids = [...batches.flatMap((batch) => batch.events), ...unattributed].map((event) => event.sgEventId).sort();
  if (ids.length === 0) return { received: true, duplicate: false, ...counts };
  const digest = createHash('sha256').update(ids.join('\n')).digest('hex').slice(0, 40);
  const duplicate = await startOnce(() => deps.temporal.workflow.start(sendGridEventsWorkflow, {
    workflowId: `sendgrid-events-${digest}`, taskQueue: deps.taskQueue, args: [batches, unattributed], ...ONCE,
  }));
  return { received: true, duplicate, ...counts };
}
