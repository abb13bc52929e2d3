import { Client } from '@sendgrid/client';
import { type MailMessage, type MailRecipient, SENDGRID_LIMITS, buildMailRequest, substitutedFor } from '../../../activities/email/mail-request';
import { SendGridSink } from '../../fakes/sendgrid-sink';

/** The request builder keeps every request within SendGrid's limits; the sink (which enforces them) accepts what it builds. */

const recipient = (change: Partial<MailRecipient> = {}): MailRecipient => ({
  email: 'ann@donors.test', name: 'Ann Lee', subject: 'Hello Ann', substitutions: { '%n0t%': 'Ann' },
  customArgs: { donor_id: 'd-1' }, headers: { 'List-Unsubscribe': '<https://u.test/1>' }, ...change,
});

const message = (change: Partial<MailMessage> = {}): MailMessage => ({
  from: { email: 'campaigns@track15.test', name: null }, replyTo: null, subject: 'Hello %n0t%', fallbackSubject: 'Spring Appeal', html: '<p>Hi %n0t%</p>', text: 'Hi %n0t%',
  customArgs: { campaign_id: 'c-1' }, headers: { 'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click' }, asmGroupId: null, recipients: [recipient()], ...change,
});

describe('buildMailRequest', () => {
  let sink: SendGridSink;
  let client: Client;

  beforeAll(async () => {
    sink = await SendGridSink.start();
    client = new Client();
    client.setApiKey('SG.test-key');
    client.setDefaultRequest('baseUrl', sink.url);
  });
  afterEach(() => sink.reset());
  afterAll(async () => { await sink.stop(); });

  /** Sends what the builder built; the sink answers 400 for any broken limit. */
  async function sendBuilt(built: ReturnType<typeof buildMailRequest>) {
    const [response] = await client.request({ method: 'POST', url: '/v3/mail/send', body: built.body! });
    expect(response.statusCode).toBe(202);
    return sink.deliveries();
  }

  it('says the shared parts once and each recipient only what is theirs', () => {
    expect(buildMailRequest(message())).toEqual({
      body: {
        from: { email: 'campaigns@track15.test' }, subject: 'Hello %n0t%',
        content: [{ type: 'text/plain', value: 'Hi %n0t%' }, { type: 'text/html', value: '<p>Hi %n0t%</p>' }],
        custom_args: { campaign_id: 'c-1' }, headers: { 'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click' },
        personalizations: [{
          to: [{ email: 'ann@donors.test', name: 'Ann Lee' }], substitutions: { '%n0t%': 'Ann' },
          custom_args: { donor_id: 'd-1' }, headers: { 'List-Unsubscribe': '<https://u.test/1>' },
        }],
      },
      included: [0],
      refused: [],
    });
  });

  it("sends the client's From name, Reply-To and unsubscribe group when it has them", () => {
    const built = buildMailRequest(message({ from: { email: 'hello@shelter.test', name: 'Zoë & Co\nShelter' }, replyTo: 'reply@shelter.test', asmGroupId: 7 }));
    expect(built.body).toMatchObject({ from: { email: 'hello@shelter.test', name: 'Zoë & Co Shelter' }, reply_to: { email: 'reply@shelter.test' }, asm: { group_id: 7 } });
  });

  it.each([['Lee, Ann'], ['Ann; Tom'], ['   '], [null]])('leaves out the display name %p, which SendGrid would drop the recipient for', async (name) => {
    const built = buildMailRequest(message({ recipients: [recipient({ name })] }));
    expect(built.body!.personalizations[0].to).toEqual([{ email: 'ann@donors.test' }]);
    expect((await sendBuilt(built))[0]).not.toHaveProperty('name');
  });

  it("keeps a display name SendGrid takes, Anne & Tom O'Brien, on one line", async () => {
    const built = buildMailRequest(message({ recipients: [recipient({ name: "Anne & Tom O'Brien" }), recipient({ email: 'bo@donors.test', name: 'Bo\r\nBcc: x@y.test' })] }));
    expect((await sendBuilt(built)).map((d) => d.name)).toEqual(["Anne & Tom O'Brien", 'Bo Bcc: x@y.test']);
  });

  it('cuts a subject longer than a header line, on a character, with an ellipsis, for that recipient only', async () => {
    const long = `${'😀'.repeat(600)}`;
    const built = buildMailRequest(message({ recipients: [recipient({ subject: long }), recipient({ email: 'bo@donors.test' })] }));
    const [cut] = built.body!.personalizations.map((p) => p.subject);
    expect(cut!.length).toBeLessThanOrEqual(SENDGRID_LIMITS.lineChars);
    expect(cut!.endsWith('😀…')).toBe(true);
    expect(built.body!.personalizations[1]).not.toHaveProperty('subject');
    const deliveries = await sendBuilt(built);
    expect(deliveries.map((d) => d.subject)).toEqual([cut, 'Hello Ann']);
  });

  it('puts a subject on one line, and falls back to the given subject when one renders empty', async () => {
    const built = buildMailRequest(message({
      subject: '',
      recipients: [recipient({ subject: 'Hi\r\nBcc: x@y.test', substitutions: {} }), recipient({ email: 'bo@donors.test', subject: '  ', substitutions: {} })],
    }));
    expect(built.body!.subject).toBe('Spring Appeal');
    expect((await sendBuilt(built)).map((d) => d.subject)).toEqual(['Hi Bcc: x@y.test', 'Spring Appeal']);
  });

  it('refuses the one recipient whose substitutions are too large, and sends the others', async () => {
    const big = recipient({ email: 'big@donors.test', substitutions: { '%n0t%': 'x'.repeat(SENDGRID_LIMITS.substitutionsBytes) } });
    const built = buildMailRequest(message({ recipients: [recipient(), big, recipient({ email: 'cy@donors.test' })] }));
    expect(built.included).toEqual([0, 2]);
    expect(built.refused).toEqual([{ index: 1, reason: expect.stringMatching(/substitutions take 100\d\d bytes/) }]);
    expect((await sendBuilt(built)).map((d) => d.to)).toEqual(['ann@donors.test', 'cy@donors.test']);
  });

  it('refuses the one recipient whose custom args, with the shared ones, reach 10,000 bytes', async () => {
    const big = recipient({ email: 'big@donors.test', customArgs: { donor_id: 'd'.repeat(9_980) } });
    const built = buildMailRequest(message({ recipients: [big, recipient()] }));
    expect(built.refused).toEqual([{ index: 0, reason: expect.stringMatching(/custom_args take \d+ bytes/) }]);
    expect((await sendBuilt(built)).map((d) => d.to)).toEqual(['ann@donors.test']);
  });

  it('refuses a recipient with a header SendGrid would refuse', () => {
    const built = buildMailRequest(message({ recipients: [recipient({ headers: { 'List-Unsubscribe': '<https://u.test/é>' } }), recipient({ headers: { 'Reply-To': 'x@y.test' } })] }));
    expect(built.body).toBeNull();
    expect(built.refused.map((r) => r.reason)).toEqual([expect.stringMatching(/one line of ASCII/), expect.stringMatching(/reserved/)]);
  });

  it('throws for what no recipient can fix: too many recipients, shared args too large, shared headers SendGrid refuses', () => {
    const many = Array.from({ length: SENDGRID_LIMITS.personalizations + 1 }, (_, i) => recipient({ email: `r${i}@donors.test` }));
    expect(() => buildMailRequest(message({ recipients: many }))).toThrow(/at most 1000 recipients/);
    expect(() => buildMailRequest(message({ customArgs: { x: 'x'.repeat(10_000) } }))).toThrow(/custom_args/);
    expect(() => buildMailRequest(message({ headers: { 'Content-Type': 'text/plain' } }))).toThrow(/reserved/);
    expect(() => buildMailRequest(message({ headers: { 'X-Bad': 'a\r\nb' } }))).toThrow(/one line/);
    expect(() => buildMailRequest(message({ headers: { 'X:Bad': 'a' } }))).toThrow(/not a header name/);
  });

  it('sends 1,000 recipients in one request the sink accepts', async () => {
    const many = Array.from({ length: SENDGRID_LIMITS.personalizations }, (_, i) => recipient({ email: `r${i}@donors.test`, name: `Donor, No. ${i}` }));
    expect(await sendBuilt(buildMailRequest(message({ recipients: many })))).toHaveLength(1000);
  });

  it('carries categories within SendGrid\'s limits, and refuses more than it allows', async () => {
    const built = buildMailRequest(message({ categories: ['test'] }));
    expect(built.body!.categories).toEqual(['test']);
    await sendBuilt(built);
    expect(buildMailRequest(message()).body).not.toHaveProperty('categories');
    expect(() => buildMailRequest(message({ categories: Array.from({ length: SENDGRID_LIMITS.categories + 1 }, (_, i) => `c${i}`) }))).toThrow(/at most 10 categories/);
    expect(() => buildMailRequest(message({ categories: ['x'.repeat(SENDGRID_LIMITS.categoryChars + 1)] }))).toThrow(/category/);
  });

  it('reads a built request back as its recipient receives it, as the sink substitutes it', async () => {
    const built = buildMailRequest(message({ recipients: [recipient(), recipient({ email: 'bo@donors.test', subject: '', substitutions: { '%n0t%': 'Bo & Co' } })] }));
    const deliveries = await sendBuilt(built);
    for (const index of [0, 1]) {
      const read = substitutedFor(built.body!, index);
      expect(read).toEqual({ ...sink.messageOf(deliveries[index]), subject: deliveries[index].subject });
    }
    expect(substitutedFor(built.body!, 1)).toEqual({ subject: 'Spring Appeal', html: '<p>Hi Bo & Co</p>', text: 'Hi Bo & Co' });
    expect(() => substitutedFor(built.body!, 2)).toThrow(RangeError);
  });
});
