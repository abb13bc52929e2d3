import { randomBytes } from 'node:crypto';
import { prepareActivation } from '../../activities/campaigns/activation';
import { testUnsubscribeUrl } from '../../activities/previews/test-send';
import { withClient } from '../../domain/db/tenancy';
import { readGiveToken } from '../../domain/giving/give-token';
import { verifyUnsubscribeToken } from '../../domain/email/unsubscribe-token';
import type { NarrativeStepDraft } from '../../domain/campaigns/narrative';
import { type RehearsalStatus, rehearsalWorkflowId } from '../../workflows/previews/test-sends';
import { touchpointWorkflow } from '../../workflows/campaigns/touchpoint';
import { type ApiHarness, startApi } from '../api/support';
import type { SinkDelivery } from '../fakes/sendgrid-sink';
import { type CampaignHarness, PUBLIC_BASE_URL, UNSUBSCRIBE_SECRET, startCampaignHarness } from '../support/campaign-harness';
import { SendGridSigner } from '../support/provider-signing';

/**
 * Previews, test sends and rehearsals (issue 14 item 3) through the API, the real worker, Temporal and the
 * SendGrid sink: a preview is what the real send delivers to that donor; test messages reach the test
 * addresses only and count nowhere.
 */
describe('previews, test sends and rehearsals', () => {
  const signer = new SendGridSigner();
  let h: CampaignHarness;
  let api: ApiHarness;
  let clientId: string;
  let key: string;
  let donors: Record<'anne' | 'champ' | 'gone' | 'phoneOnly', string>;

  const STEP: Pick<NarrativeStepDraft, 'subject_line' | 'message' | 'call_to_action' | 'segment_customization'> = {
    subject_line: '{{#if donor.first_name}}{{donor.first_name}}, {{/if}}{{story.headline}}',
    message: '{{#if donor.last_name}}Dear {{donor.first_name}} {{donor.last_name}},{{else}}Dear friend,{{/if}}\n\n{{story.summary}} <{{donor.email}}>',
    call_to_action: 'Give at {{links.donate}} (or leave: {{links.unsubscribe}})',
    segment_customization: { Champions: { subject_line: 'Champion {{donor.first_name}}: {{campaign.name}}', message: 'Thank you {{donor.first_name}} & family' } },
  };

  const url = (campaignId: string, rest: string) => `/v1/clients/${clientId}/campaigns/${campaignId}${rest}`;
  const get = (path: string) => api.call(key, { url: path });
  const post = (path: string, payload: unknown) => api.call(key, { method: 'POST', url: path, payload });
  const testAddress = (name: string) => `${name}-${randomBytes(4).toString('hex')}@staff.test`;

  async function campaignWithStep(name: string, options: { dayLengthSeconds?: number } = {}): Promise<string> {
    const campaignId = await h.fixtures.track15Campaign(clientId, { name, controlShare: 0, dayLengthSeconds: options.dayLengthSeconds ?? 86_400 });
    await h.fixtures.query(
      `update track15_narrative_steps set subject_line = $3, message = $4, call_to_action = $5, segment_customization = $6 where campaign_id = $1 and step_number = $2`,
      [campaignId, 1, STEP.subject_line, STEP.message, STEP.call_to_action, JSON.stringify(STEP.segment_customization)]);
    return campaignId;
  }

  /** Everything a campaign's mail is counted by: none of it may move for a test message. */
  const countedFacts = async (campaignId: string) => (await h.fixtures.query(
    `select (select count(*)::int from campaign_deliveries where campaign_id = $1) as ledger,
            (select count(*)::int from email_sends where campaign_id = $1) as email_sends,
            (select count(*)::int from budget_spend where campaign_id = $1) as spend,
            (select count(*)::int from campaign_recipients where campaign_id = $1) as recipients,
            (select stats from campaigns where id = $1) as stats`, [campaignId]))[0];

  beforeAll(async () => {
    h = await startCampaignHarness({ batchSize: 50 });
    api = await startApi({ db: h.db, orm: h.orm, temporal: { client: h.temporal.client, taskQueue: h.temporal.taskQueue }, sendgridPublicKey: signer.publicKey });
    ({ id: clientId, key } = await api.client('Preview & "Co"'));
    const ids = await h.fixtures.donors(clientId, [
      { email: 'anne@donors.test', first_name: 'Anne & Tom', last_name: "O'Brien" },
      { email: 'champ@donors.test', first_name: 'René', segment: 'Champions' },
      { email: 'gone@donors.test', first_name: 'Gone', suppressed: true },
      { phone: '+15551230000', first_name: 'Phone' },
    ]);
    donors = { anne: ids[0], champ: ids[1], gone: ids[2], phoneOnly: ids[3] };
    await h.fixtures.unsubscribe(clientId, donors.gone, 'all');
  });
  afterAll(async () => {
    await api?.close();
    await h?.close();
  });

  it('previews a step exactly as the real send delivers it to that donor, links included', async () => {
    const campaignId = await campaignWithStep('Spring & "Summer"');
    const previewOf = async (query: string) => {
      const response = await get(url(campaignId, `/steps/1/preview?${query}`));
      expect([query, response.statusCode]).toEqual([query, 200]);
      return response.json();
    };
    const previews = { anne: await previewOf(`donor_id=${donors.anne}`), champ: await previewOf('segment=Champions') };
    expect(previews.champ.donor_id).toBe(donors.champ);
    expect(previews.anne.subject).toBe('Anne & Tom, Feed 500 Families This Spring');
    expect(previews.champ.subject).toBe('Champion René: Spring & "Summer"');
    // The give link is the donor's own too, signed for this client, campaign, step and donor (issue 11).
    expect(previews.anne.links.donate.startsWith(`${PUBLIC_BASE_URL}/give/`)).toBe(true);
    expect(readGiveToken(previews.anne.links.donate.split('/').pop(), UNSUBSCRIBE_SECRET, Date.now()))
      .toMatchObject({ state: 'valid', claims: { clientId, campaignId, stepNumber: 1, donorId: donors.anne } });
    expect(previews.anne.text).toContain(`Give at ${previews.anne.links.donate} (or leave`);
    // The unsubscribe link is the donor's own, signed for this campaign.
    const token = previews.anne.links.unsubscribe.slice(`${PUBLIC_BASE_URL}/unsubscribe/`.length);
    expect(verifyUnsubscribeToken(token, UNSUBSCRIBE_SECRET, Date.now())).toMatchObject({ clientId, donorId: donors.anne, campaignId });
    expect(previews.anne.headers['List-Unsubscribe']).toBe(`<${previews.anne.links.unsubscribe}>`);

    // The real send of the same step, through the worker, to the same donors.
    await withClient(h.orm.em, clientId, (em) => prepareActivation(em, campaignId));
    await h.temporal.client.workflow.execute(touchpointWorkflow, {
      taskQueue: h.temporal.taskQueue, workflowId: `preview-${campaignId}/step-1`, args: [{ campaignId, clientId, stepNumber: 1 }],
    });
    const sent = (donorId: string) => h.sink.deliveries().find((d) => d.customArgs.campaign_id === campaignId && d.customArgs.donor_id === donorId)!;
    for (const [name, donorId] of [['anne', donors.anne], ['champ', donors.champ]] as const) {
      const delivery = sent(donorId);
      const mail = h.sink.mails().find((m) => m.messageId === delivery.messageId)!.body;
      const sentLink = /^<(.+)>$/.exec(delivery.headers['List-Unsubscribe'])![1];
      const sentGive = /Give at (\S+) \(or leave/.exec(h.sink.messageOf(delivery).text!)![1];
      // Tokens carry their issue or expiry time, so each message is compared with its own links taken out; everything else is equal.
      const withoutLinks = (message: { subject: string; html: string | null; text: string | null }, links: string[]) => links.reduce(
        (json, link) => json.split(link).join('<the donor\'s own link>'), JSON.stringify({ subject: message.subject, html: message.html, text: message.text }));
      expect([name, withoutLinks(previews[name], [previews[name].links.unsubscribe, previews[name].links.donate])])
        .toEqual([name, withoutLinks(h.sink.messageOf(delivery), [sentLink, sentGive])]);
      expect([name, previews[name].to, previews[name].from, previews[name].reply_to])
        .toEqual([name, delivery.to, { email: mail.from.email, name: mail.from.name ?? null }, mail.reply_to?.email ?? null]);
    }
    expect(previews.anne.html).toContain('Dear Anne &amp; Tom O&#x27;Brien,');
  }, 60_000);

  it('the brand guidelines in effect name the sender, frame the HTML with their logo and colours, and show their voice beside the preview', async () => {
    const campaignId = await campaignWithStep('Branded appeal');
    const [{ id: guidelineId }] = await h.fixtures.query<{ id: string }>(
      `insert into brand_guidelines (client_id, brand_name, high_level_guidelines, full_style_guide) values ($1, 'Harbor Food Bank', $2, $3) returning id`,
      [clientId, JSON.stringify({
        logo: { primaryLogoUrl: 'https://cdn.harbor.test/logo.png?v=2&size=l' },
        colors: { primary: [{ name: 'Harbor Blue', hex: '#0066CC' }], accent: [{ name: 'Sun', hex: '#FFB000' }] },
        typography: { primaryFont: 'Inter' },
        voice: { tone: ['warm'], notes: ['Say "neighbours", never "beneficiaries".'] },
      }), JSON.stringify({ voiceGuidelines: { brandVoice: 'Plain and hopeful', primaryTone: ['hopeful'], messagingPillars: ['dignity'] } })]);
    const usage = await api.call(key, { method: 'PUT', url: url(campaignId, '/profile-usage'), payload: { usage_type: 'INDIVIDUAL', brand_guidelines_id: guidelineId } });
    expect(usage.statusCode).toBe(201);
    const preview = (await get(url(campaignId, `/steps/1/preview?donor_id=${donors.anne}`))).json();
    expect(preview.from.name).toBe('Harbor Food Bank');
    // Escaped as HTML attributes are (Handlebars escapes = too).
    expect(preview.html).toContain('<img src="https://cdn.harbor.test/logo.png?v&#x3D;2&amp;size&#x3D;l" alt="Harbor Food Bank"');
    expect(preview.html).toContain('background-color:#0066CC');
    expect(preview.html).toContain('border-top:3px solid #FFB000');
    expect(preview.html).toContain("font-family:'Inter',Arial");
    expect(preview.text).not.toContain('neighbours');
    expect(preview.brand).toEqual({
      name: 'Harbor Food Bank', logo_url: 'https://cdn.harbor.test/logo.png?v=2&size=l', primary_color: '#0066CC', accent_color: '#FFB000',
      voice: { brand_voice: 'Plain and hopeful', tones: ['warm', 'hopeful'], notes: ['Say "neighbours", never "beneficiaries".'], messaging_pillars: ['dignity'], do: [], dont: [] },
    });

    // The real send carries the same frame and sender name.
    await withClient(h.orm.em, clientId, (em) => prepareActivation(em, campaignId));
    await h.temporal.client.workflow.execute(touchpointWorkflow, {
      taskQueue: h.temporal.taskQueue, workflowId: `brand-${campaignId}/step-1`, args: [{ campaignId, clientId, stepNumber: 1 }],
    });
    const delivery = h.sink.deliveries().find((d) => d.customArgs.campaign_id === campaignId && d.customArgs.donor_id === donors.anne)!;
    const mail = h.sink.mails().find((m) => m.messageId === delivery.messageId)!.body;
    expect(mail.from.name).toBe('Harbor Food Bank');
    expect(h.sink.messageOf(delivery).html).toContain('<div class="brand-header" style="background-color:#0066CC;padding:16px;text-align:center"><img src="https://cdn.harbor.test/logo.png?v&#x3D;2&amp;size&#x3D;l"');
  }, 60_000);

  it('previews a step sent by email and SMS as both: the email, and the text from the client\'s number as the send writes it', async () => {
    const campaignId = await campaignWithStep('Both Ways');
    await h.fixtures.query('update donors set phone = $1 where id = $2', ['+14155550123', donors.anne]);
    await h.fixtures.query('update clients set sms_from_number = $1 where id = $2', ['+15005550011', clientId]);
    try {
      const emailOnly = (await get(url(campaignId, `/steps/1/preview?donor_id=${donors.anne}`))).json();
      expect(emailOnly.sms).toBeNull();
      await h.fixtures.query(`update track15_narrative_steps set channel = 'email_and_sms' where campaign_id = $1 and step_number = 1`, [campaignId]);
      const response = await get(url(campaignId, `/steps/1/preview?donor_id=${donors.anne}`));
      expect(response.statusCode).toBe(200);
      const preview = response.json();
      expect(preview.subject).toBe(emailOnly.subject);
      expect(preview.sms).toMatchObject({ from: '+15005550011', to: '+14155550123', encoding: 'GSM-7' });
      // The sender's name, the message for this donor, the call to action with their own links, the STOP line.
      expect(preview.sms.body).toMatch(/^Preview & "Co": Dear Anne & Tom O'Brien,/);
      expect(preview.sms.body).toMatch(/Give at \S+\/give\/\S+ \(or leave: \S+\/unsubscribe\/\S+\)\n\nReply STOP to opt out\.$/);
      expect(preview.sms.segments).toBe(Math.ceil(preview.sms.characters / 153));
    } finally {
      await h.fixtures.query('update donors set phone = null where id = $1', [donors.anne]);
      await h.fixtures.query('update clients set sms_from_number = null where id = $1', [clientId]);
    }
  });

  it('answers 404 for a donor or segment it cannot find, 409 for a donor without email, 400 without a reader', async () => {
    const campaignId = await campaignWithStep('Lookups');
    const preview = (query: string) => get(url(campaignId, `/steps/1/preview${query}`));
    expect((await preview(`?donor_id=${donors.phoneOnly}`)).statusCode).toBe(409);
    const missing = await preview('?donor_id=00000000-0000-4000-8000-000000000000');
    expect([missing.statusCode, missing.json().errors[0].field]).toEqual([404, 'query.donor_id']);
    const noSegment = await preview('?segment=At%20Risk');
    expect([noSegment.statusCode, noSegment.json().errors[0].field]).toEqual([404, 'query.segment']);
    const neither = await preview('');
    expect([neither.statusCode, neither.json().errors[0].field]).toEqual([400, 'query.donor_id']);
    const both = await preview(`?donor_id=${donors.anne}&segment=Champions`);
    expect([both.statusCode, both.json().errors[0].field]).toEqual([400, 'query.segment']);
    const tooMany = await post(url(campaignId, '/steps/1/test-send'), { addresses: Array.from({ length: 11 }, (_, i) => `t${i}@staff.test`) });
    expect([tooMany.statusCode, tooMany.json().errors[0].field]).toEqual([400, 'body.addresses']);
  });

  it('sends a step to the test addresses only, marked as a test, and counts it nowhere', async () => {
    const campaignId = await campaignWithStep('Tested');
    const before = await countedFacts(campaignId);
    const addresses = [testAddress('editor'), testAddress('director')];
    // Written for a donor who is suppressed and unsubscribed: a test goes to staff, not to that donor.
    const response = await post(url(campaignId, '/steps/1/test-send'), { addresses, donor_id: donors.gone });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({ status: 'sent', sent_to: addresses, refused: [], subject: '[TEST] Gone, Feed 500 Families This Spring' });

    const tests = h.sink.deliveries().filter((d) => d.customArgs.test_run === response.json().workflow_id);
    expect(tests.map((d) => d.to).sort()).toEqual([...addresses].sort());
    for (const delivery of tests) {
      expect(delivery.subject).toBe('[TEST] Gone, Feed 500 Families This Spring');
      expect(delivery.customArgs).toMatchObject({ test: 'true', test_campaign_id: campaignId, test_step_number: '1' });
      expect(delivery.customArgs).not.toHaveProperty('campaign_id');
      expect(delivery.customArgs).not.toHaveProperty('donor_id');
      // No real donor's unsubscribe link: a tester clicking it cannot take the donor off the list.
      expect(delivery.headers['List-Unsubscribe']).toBe(`<${testUnsubscribeUrl(PUBLIC_BASE_URL)}>`);
      expect(new Set(h.sink.messageOf(delivery).text!.match(/\/unsubscribe\/[^\s)]+/g))).toEqual(new Set(['/unsubscribe/test-message']));
    }
    const mail = h.sink.mails().find((m) => m.messageId === tests[0].messageId)!.body;
    expect(mail.categories).toEqual(['test']);
    expect(mail).not.toHaveProperty('asm');
    expect(h.sink.deliveries().filter((d) => d.to === 'gone@donors.test')).toEqual([]);

    // Its opens and clicks, signed as SendGrid signs them, are ignored: no stats, no analytics.
    const events = tests.flatMap((d: SinkDelivery) => ['delivered', 'open', 'click'].map((event, i) => ({
      email: d.to, timestamp: Math.floor(d.receivedAt / 1000) + i, event, sg_event_id: randomBytes(12).toString('base64url'),
      sg_message_id: `${d.messageId}.filter0001.1.0`, ...d.customArgs,
    })));
    const payload = JSON.stringify(events);
    const webhook = await api.request({ method: 'POST', url: '/webhooks/sendgrid', payload, headers: signer.headers(payload) });
    expect(webhook.json()).toEqual({ received: true, duplicate: false, ignored: events.length, malformed: 0 });
    expect(await countedFacts(campaignId)).toEqual(before);
    expect(before).toEqual({ ledger: 0, email_sends: 0, spend: 0, recipients: 0, stats: {} });
  }, 60_000);

  it('rehearses the whole arc to the test addresses only, as its own numbered workflow; a campaign can no longer be set to a rehearsal pace', async () => {
    const campaignId = await campaignWithStep('Rehearsed');
    const refused = await api.call(key, { method: 'PATCH', url: url(campaignId, ''), payload: { track15: { day_length_seconds: 60 } } });
    expect([refused.statusCode, refused.json().errors[0].field]).toEqual([400, 'body.track15.day_length_seconds']);

    const addresses = [testAddress('rehearsal')];
    const first = await post(url(campaignId, '/rehearsal'), { addresses, day_length_seconds: 1, segment: 'Champions' });
    expect(first.statusCode).toBe(202);
    expect(first.json()).toEqual({ workflow_id: rehearsalWorkflowId(campaignId, 1), rehearsal_number: 1 });
    const second = await post(url(campaignId, '/rehearsal'), { addresses: [testAddress('second')], day_length_seconds: 1 });
    expect(second.json().workflow_id).toBe(`campaign-rehearsal-${campaignId}-2`);

    const result = await h.temporal.client.workflow.getHandle(first.json().workflow_id).result() as RehearsalStatus;
    expect(result.sent.map((step) => step.stepNumber)).toEqual(Array.from({ length: 15 }, (_, i) => i + 1));
    const rehearsed = h.sink.deliveries().filter((d) => d.customArgs.test_run === first.json().workflow_id);
    expect(rehearsed).toHaveLength(15);
    expect(new Set(rehearsed.map((d) => d.to))).toEqual(new Set(addresses));
    expect(rehearsed.every((d) => d.subject.startsWith('[TEST] '))).toBe(true);
    expect(rehearsed.find((d) => d.customArgs.test_step_number === '1')!.subject).toBe('[TEST] Champion René: Rehearsed');
    // Steps went out in order, a rehearsal day apart (no timings asserted beyond their order).
    expect(rehearsed.map((d) => Number(d.customArgs.test_step_number))).toEqual(result.sent.map((step) => step.stepNumber));

    await h.temporal.client.workflow.getHandle(second.json().workflow_id).result();
    // Nobody in the audience was mailed, and nothing about the campaign moved: it was never activated.
    const forCampaign = h.sink.deliveries().filter((d) => d.customArgs.campaign_id === campaignId || d.customArgs.test_campaign_id === campaignId);
    expect(forCampaign.every((d) => d.to.endsWith('@staff.test'))).toBe(true);
    expect(await countedFacts(campaignId)).toEqual({ ledger: 0, email_sends: 0, spend: 0, recipients: 0, stats: {} });
    expect((await get(url(campaignId, ''))).json()).toMatchObject({ track15_stage: 'ready_for_launch', track15_activated_at: null });
  }, 120_000);
});
