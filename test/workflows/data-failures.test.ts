import { ActivityFailure, ApplicationFailure, WorkflowFailedError, WorkflowUpdateFailedError } from '@temporalio/client';
import { DATA_REJECTED } from '../../activities/data-failures';
import { campaignWorkflow } from '../../workflows/campaigns/campaign';
import { STATUS_MEMO, campaignWorkflowId, pauseUpdate, stopUpdate } from '../../domain/campaigns/workflow-contract';
import { campaignStatus, stopCampaign } from '../../workflows/campaigns/lifecycle';
import { type CampaignHarness, startCampaignHarness } from '../support/campaign-harness';

/**
 * Issue 10 item 1 in the workflows, against the real Temporal server: bad text never reaches a running
 * campaign (the Update validators refuse it), and an activity the database refuses for its data fails
 * once, non-retryable, with the reason, instead of being retried without end.
 */
describe('bad data in the workflows', () => {
  let h: CampaignHarness;
  let clientId: string;

  beforeAll(async () => {
    h = await startCampaignHarness();
    clientId = await h.fixtures.client('Data Client');
    await h.fixtures.donors(clientId, [{ email: 'data@donors.test', first_name: 'Dee' }]);
  });
  afterAll(async () => { await h?.close(); });

  it('refuses a pause or stop reason holding NUL, a control character or a lone surrogate in the Update validator', async () => {
    const campaignId = await h.fixtures.track15Campaign(clientId, { name: 'steady' });
    await h.activate(clientId, campaignId);
    const handle = h.temporal.client.workflow.getHandle(campaignWorkflowId(campaignId));

    /** The validator's words, as the API passes them on in a 409. */
    const refusal = (update: Promise<unknown>) => update.then(() => 'accepted', (error: unknown) =>
      (error instanceof WorkflowUpdateFailedError ? error.cause?.message : String(error)));
    for (const [reason, fault] of [['board\u0000review', 'U+0000'], ['bell\u0007', 'U+0007'], ['half \ud800 a pair', 'U+D800'], ['two\nlines', 'U+000A']]) {
      expect(await refusal(handle.executeUpdate(pauseUpdate, { args: [{ reason }] }))).toMatch(new RegExp(`^the reason contains .*${fault.replace('+', '\\+')}`));
      expect(await refusal(handle.executeUpdate(stopUpdate, { args: [{ reason }] }))).toMatch(new RegExp(`^the reason contains .*${fault.replace('+', '\\+')}`));
    }
    expect(await refusal(handle.executeUpdate(stopUpdate, { args: [{ reason: 'x'.repeat(501) }] }))).toMatch(/longer than 500/);

    // Refused in the validator: nothing reached the arc, the database or the history.
    expect(await campaignStatus(h.lifecycle, campaignId)).toMatchObject({ stage: 'active', pauseReason: null, stopReason: null });
    const [row] = await h.fixtures.query('select track15_stage, track15_pause_reason from campaigns where id = $1', [campaignId]);
    expect(row).toEqual({ track15_stage: 'active', track15_pause_reason: null });
    const history = await handle.fetchHistory();
    expect(history.events?.filter((event) => event.workflowExecutionUpdateAcceptedEventAttributes)).toEqual([]);

    await stopCampaign(h.lifecycle, campaignId, 'end of test');
    await h.result(campaignId);
  }, 60_000);

  it('fails an activity the database refuses for its data once, non-retryable, and the workflow with the reason', async () => {
    // A campaign id PostgreSQL cannot read as a uuid (SQLSTATE 22P02): the same on every retry.
    const handle = await h.temporal.client.workflow.start(campaignWorkflow, {
      workflowId: `data-failure-${Date.now()}`, taskQueue: h.temporal.taskQueue, args: [{ campaignId: 'not-a-uuid', clientId }],
    });
    const failure = await handle.result().then(() => undefined, (error: unknown) => error);
    expect(failure).toBeInstanceOf(WorkflowFailedError);
    const activityFailure = (failure as WorkflowFailedError).cause;
    expect(activityFailure).toBeInstanceOf(ActivityFailure);
    const cause = (activityFailure as ActivityFailure).cause as ApplicationFailure;
    expect(cause).toBeInstanceOf(ApplicationFailure);
    expect(cause).toMatchObject({ type: DATA_REJECTED, nonRetryable: true, message: expect.stringContaining('SQLSTATE 22P02') });

    const history = await handle.fetchHistory();
    const scheduled = new Map((history.events ?? []).flatMap((event) =>
      (event.activityTaskScheduledEventAttributes ? [[String(event.eventId), event.activityTaskScheduledEventAttributes.activityType?.name]] : [])));
    const started = (history.events ?? []).flatMap((event) => (event.activityTaskStartedEventAttributes
      ? [`${scheduled.get(String(event.activityTaskStartedEventAttributes.scheduledEventId))}#${event.activityTaskStartedEventAttributes.attempt}`] : []));
    // One attempt of the refused activity; then the workflow tries once to record the failure on the campaign row.
    expect(started).toEqual(['loadCampaignPlan#1', 'recordCampaignFailure#1']);
    // That row does not exist (its id is no uuid), so the run's memo is where the failure shows.
    const memo = (await handle.describe()).memo?.[STATUS_MEMO] as { lastFailure?: unknown } | undefined;
    expect(memo?.lastFailure).toMatchObject({ step: null, activity: 'loadCampaignPlan', type: DATA_REJECTED, reason: expect.stringContaining('SQLSTATE 22P02') });
  }, 60_000);
});
