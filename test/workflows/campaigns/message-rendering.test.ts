import { prepareActivation } from '../../../activities/campaigns/activation';
import { withClient } from '../../../domain/db/tenancy';
import { readGiveToken } from '../../../domain/giving/give-token';
import { renderStep } from '../../../domain/delivery/message-template';
import { withSenderFooter } from '../../../domain/delivery/sender';
import type { CoreStory, NarrativeStepDraft } from '../../../domain/campaigns/narrative';
import type { RfmSegment } from '../../../domain/rfm';
import { touchpointWorkflow } from '../../../workflows/campaigns/touchpoint';
import { type CampaignHarness, PUBLIC_BASE_URL, UNSUBSCRIBE_SECRET, startCampaignHarness } from '../../support/campaign-harness';
import { type DonorSeed, POSTAL_ADDRESS } from '../../support/fixtures';

/**
 * A touchpoint through the real worker, Temporal and the SendGrid sink: what each donor reads (the sink
 * substitutes as SendGrid does) is what the step renders for that donor alone, in batched requests.
 */
describe('messages as each donor reads them', () => {
  let h: CampaignHarness;

  beforeAll(async () => { h = await startCampaignHarness({ batchSize: 50 }); });
  afterAll(async () => { await h?.close(); });

  const STORY: CoreStory = {
    headline: 'Feed & Shelter <500>', summary: `O'Brien Street's "pantry"`, value_proposition: 'Gifts & goods', donor_motivation: 'Because <everyone> eats',
  };
  const STEP: Pick<NarrativeStepDraft, 'subject_line' | 'message' | 'call_to_action' | 'segment_customization'> = {
    subject_line: '{{#if donor.first_name}}{{donor.first_name}}: {{/if}}{{story.headline}} & {{campaign.name}}',
    message: '{{#if donor.last_name}}Dear {{donor.first_name}} {{donor.last_name}},{{else}}Dear valued supporter,{{/if}}\n\n'
      + '{{story.summary}} {{story.value_proposition}} {{story.donor_motivation}} ({{donor.email}})',
    call_to_action: 'Give at {{links.donate}} or leave at {{links.unsubscribe}}',
    segment_customization: { Champions: { subject_line: "Champion {{donor.last_name}} & co's", message: 'Thanks {{donor.first_name}} <3' } },
  };
  const DONORS: DonorSeed[] = [
    { email: 'anne@donors.test', first_name: 'Anne & Tom', last_name: "O'Brien" },
    { email: 'sam@donors.test', first_name: 'Sam' },
    { email: 'lee@donors.test', first_name: 'Lee, Jr.', last_name: 'Park; Kim' },
    { email: 'xss@donors.test', first_name: '<script>alert(1)</script>', last_name: '"Q"' },
    { email: 'rene@donors.test', first_name: 'René', last_name: 'Zoë', segment: 'Champions' },
    { email: 'champ@donors.test', first_name: 'Chris', segment: 'Champions' },
    ...Array.from({ length: 120 }, (_, i) => ({ email: `bulk-${i}@donors.test`, first_name: `Bulk${i}`, last_name: i % 3 ? `Last${i}` : undefined })),
  ];

  it('renders every donor their own branch with each output escaped its own way, and keeps the batched send', async () => {
    const clientName = 'Rendering & Co';
    const clientId = await h.fixtures.client(clientName);
    await h.fixtures.donors(clientId, DONORS);
    const campaignName = 'Spring & "Summer"';
    const campaignId = await h.fixtures.track15Campaign(clientId, { name: campaignName, dayLengthSeconds: 86_400, controlShare: 0, story: STORY });
    await h.fixtures.query(
      `update track15_narrative_steps set subject_line = $3, message = $4, call_to_action = $5, segment_customization = $6
        where campaign_id = $1 and step_number = $2`,
      [campaignId, 1, STEP.subject_line, STEP.message, STEP.call_to_action, JSON.stringify(STEP.segment_customization)],
    );
    await withClient(h.orm.em, clientId, (em) => prepareActivation(em, campaignId));

    const tally = await h.temporal.client.workflow.execute(touchpointWorkflow, {
      taskQueue: h.temporal.taskQueue, workflowId: `render-${campaignId}/step-1`, args: [{ campaignId, clientId, stepNumber: 1 }],
    });
    expect(tally).toMatchObject({ sent: DONORS.length, failed: 0, skipped: 0 });

    const deliveries = h.sink.deliveries().filter((d) => d.customArgs.campaign_id === campaignId);
    expect(deliveries).toHaveLength(DONORS.length);
    const byEmail = new Map(deliveries.map((d) => [d.to, d]));
    for (const donor of DONORS) {
      const delivery = byEmail.get(donor.email!)!;
      const unsubscribe = /^<(.+)>$/.exec(delivery.headers['List-Unsubscribe'])![1];
      expect(unsubscribe.startsWith(`${PUBLIC_BASE_URL}/unsubscribe/`)).toBe(true);
      // Each donor's give link is their own: signed for this client, campaign, step and donor (issue 11).
      const donate = /Give at (\S+) or leave at/.exec(h.sink.messageOf(delivery).text!)![1];
      expect(donate.startsWith(`${PUBLIC_BASE_URL}/give/`)).toBe(true);
      expect(readGiveToken(donate.split('/').pop()!, UNSUBSCRIBE_SECRET, Date.now())).toEqual({
        state: 'valid', claims: { clientId, campaignId, stepNumber: 1, donorId: delivery.customArgs.donor_id, expiresAt: expect.any(Number) },
      });
      // The client's From name and CAN-SPAM postal address close every message (domain/delivery/sender.ts).
      const alone = withSenderFooter(renderStep(STEP, {
        donor: { first_name: donor.first_name, last_name: donor.last_name, email: donor.email }, story: STORY, campaign: { name: campaignName },
        links: { donate, unsubscribe }, segment: (donor.segment ?? null) as RfmSegment | null,
      }), { fromName: clientName, postalAddress: POSTAL_ADDRESS });
      expect(h.sink.messageOf(delivery)).toEqual(alone);
    }

    const read = (email: string) => h.sink.messageOf(byEmail.get(email)!);
    expect(read('anne@donors.test').subject).toBe(`Anne & Tom: Feed & Shelter <500> & Spring & "Summer"`);
    expect(read('anne@donors.test').text!.startsWith(`Dear Anne & Tom O'Brien,\n\nO'Brien Street's "pantry" Gifts & goods Because <everyone> eats (anne@donors.test)`)).toBe(true);
    expect(read('anne@donors.test').html).toContain('<p>Dear Anne &amp; Tom O&#x27;Brien,</p>');
    expect(read('sam@donors.test').text!.startsWith('Dear valued supporter,\n\n')).toBe(true);
    expect(read('xss@donors.test').html).not.toContain('<script>');
    expect(read('rene@donors.test').subject).toBe("Champion Zoë & co's");
    expect(read('rene@donors.test').html).toContain('<p>Thanks René &lt;3</p>');

    // A display name SendGrid would drop the recipient for is left out; the others are kept.
    expect(byEmail.get('lee@donors.test')).not.toHaveProperty('name');
    expect(byEmail.get('anne@donors.test')!.name).toBe("Anne & Tom O'Brien");

    // Batched: one request per page (of each delivery lane) and variant (segment, and whether a last name is
    // there), not one per donor; every recipient of a request reads the same variant.
    const requests = h.sink.mails().filter((m) => m.body.custom_args?.campaign_id === campaignId);
    const pages = (await h.fixtures.query<{ n: number }>(
      'select count(distinct shard)::int as n from campaign_recipients where campaign_id = $1', [campaignId]))[0].n;
    expect(requests.length).toBeLessThanOrEqual(pages * 3);
    expect(requests.length).toBeLessThan(DONORS.length / 4);

    const ledger = await h.fixtures.query<{ status: string; n: number }>(
      'select status, count(*)::int as n from campaign_deliveries where campaign_id = $1 group by status', [campaignId]);
    expect(ledger).toEqual([{ status: 'sent', n: DONORS.length }]);
  }, 60_000);
});
