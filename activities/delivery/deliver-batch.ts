import { randomUUID } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import { ApplicationFailure, Context } from '@temporalio/activity';
import { executeBound } from '../../domain/db/bound-sql';
import { withClient } from '../../domain/db/tenancy';
import { abAssignment, recipientBucket, withVariant } from '../../domain/experiments/ab-test';
import { groupBy } from '../../domain/group-by';
import { isConversionAsk } from '../../domain/campaigns/narrative';
import type { RfmSegment } from '../../domain/rfm';
import { type SkipReason, type StepTally, emptyTally } from '../../domain/campaigns/workflow-contract';
import type { ActivityDeps } from '..';
import { acceptedRecipients, answeredByProvider, providerFailure, rejectedRecipient, sendMail } from '../email/sendgrid';
import { buildMailRequest } from '../email/mail-request';
import { lockBudget, reserveBudget, settleBudget, type BudgetReservation } from './budget-spend';
import { deliveryMetrics, smsMetrics } from '../metrics';
import { overCap } from './frequency-cap';
import { unsubscribeGroupId } from '../email/unsubscribe-groups';
import { type Draft, StepComposer } from './compose';
import { LaneFence } from './lane-fence';
import { type StepContext, loadStepContext } from './step-context';
import {
  type ProviderOutcome, type SentText, type Settled, type SettlementScope, UNSENT_STATUSES, countStat, pageSentUnits, pageTally, releaseUnsent, settleOutcome,
} from './ledger-settlement';
import { SmsSender } from './sms-sender';
import { isE164, smsSendWindow } from '../../domain/sms';
import { acceptedTexts, twilioFailure } from '../sms/twilio';
import type { DeliveryChannel, StepChannel } from '../../domain/delivery/channels';

/** SendGrid accepts at most 1,000 personalizations per request. */
export const MAX_BATCH_SIZE = 1000;

/**
 * One page of one lane (shard) of a touchpoint's audience, after the cursor; with `zones`, only the
 * recipients of that wave (their frozen time zone, the campaign's when none was frozen).
 */
export interface DeliverBatchInput {
  campaignId: string; clientId: string; stepNumber: number; shard: number; afterDonorId: string | null; zones?: string[];
  /**
   * A step with an A/B test is delivered in two phases: `test` sends the test share, each recipient their
   * variant; `rest` sends everyone else the winner. Each phase claims only its own recipients of a page.
   */
  ab?: AbPhase;
  /**
   * The touchpoint waits for a periodic budget's next period (BUDGET_PERIODS_PATCH): recipients the period's
   * amount cannot pay for are left for after the wait instead of being skipped with `budget_exhausted`.
   */
  waitForPeriod?: boolean;
  /**
   * The channel this lane delivers (a touchpoint pages one set of lanes per channel of its step: a step
   * sent by email and SMS has an email lane and a text lane per shard). Touchpoints started before name
   * none: the lane delivers the step's one channel.
   */
  channel?: DeliveryChannel;
}
export type AbPhase = { phase: 'test' } | { phase: 'rest'; winner: number };
export interface DeliverBatchResult {
  tally: StepTally;
  nextCursor: string | null;
  /**
   * Deliver from `nextCursor` again once this time (epoch ms) has come: the budget's period ran out before the page
   * did, or a text step's page reached a recipient outside 08:00-21:00 in their zone (deferred, not dropped).
   */
  waitUntil?: number;
  /** Budget alerts fired and not yet handed to their delivery workflow (ids of budget_alert_events). */
  alerts?: string[];
}

interface PageRow {
  donor_id: string;
  recipient_group: 'test' | 'control';
  email: string | null;
  first_name: string | null;
  last_name: string | null;
  segment: RfmSegment | null;
  suppressed: boolean;
  unsubscribed: boolean;
  gave: boolean;
  ledger_status: string | null;
  phone: string | null;
  /** The recipient's zone frozen at activation (null: the campaign's). */
  timezone: string | null;
  /** Texts only: the number texted STOP to the client; the donor consented to marketing texts. */
  sms_opted_out: boolean;
  sms_consent: boolean;
}

interface Claim {
  context: StepContext;
  toSend: PageRow[];
  /** Why each claimed recipient that is not sent was skipped. */
  skips: SkipReason[];
  /** Some of the page was settled by an earlier attempt, so only the ledger knows the page's counts. */
  settledBefore: boolean;
  pageDonorIds: string[];
  pageFull: boolean;
  /** The last donor of the page as read (the lane's cursor), whichever phase claimed it. */
  cursor: string | null;
  /** Each claimed recipient's A/B variant (test phase) or the winner (rest phase); empty without a test. */
  variants: Map<string, number>;
  budget: BudgetReservation | null;
  /** A text step: the writer, and each claimed recipient's text. */
  sms: { sender: SmsSender; texts: Map<string, SentText> } | null;
  /** When the page stopped at a recipient outside the SMS hours: when they open (epoch ms). */
  smsOpensAt: number | null;
}

/**
 * Delivers one touchpoint to one page of recipients, at most once per (campaign, step, donor):
 * 0. fence: the attempt holds its lane (delivery/lane-fence.ts) from here to the end, so an earlier
 *    attempt of this batch that Temporal gave up on, but that still runs, has finished or died before
 *    this one touches the lane's rows; every provider call first proves the fence and the claim hold;
 * 1. claim: in one transaction, decide each recipient's fate and write its ledger row — skipped rows
 *    settle at once, rows to send are written `pending` under this attempt's claim token (`send_key`)
 *    before any provider call;
 * 2. send: by the step's channel (DESIGN.md §8, one core and an adapter per channel): email as one
 *    SendGrid request per message variant (segment and the branches its donors take); a text step
 *    (delivery/sms-sender.ts) as one Twilio request per recipient, each under the fence's opt-out check,
 *    its segments costed against the budget, and only within 08:00-21:00 in the recipient's zone (a page
 *    reaching a recipient outside stops there and answers `waitUntil`);
 * 3. on 429/5xx the still-unsent claims are released and the activity fails, so Temporal retries it
 *    with backoff; the retry skips settled rows and sends only what is left. Rows whose request got no
 *    answer (a cut connection, a cancelled attempt) stay pending: nobody knows whether they left.
 * Rows an earlier attempt left pending (sent or not, nobody knows) are settled from the provider's own
 * record of what it accepted (SendGrid's Email Activity, Twilio's Messages list) before anything else happens, so a crash causes neither a gap nor a
 * second email. Only rows a settlement changes are counted (campaigns.stats, metrics, tallies).
 */
export function createDeliverBatch(deps: ActivityDeps) {
  const batchSize = Math.min(deps.batchSize ?? MAX_BATCH_SIZE, MAX_BATCH_SIZE);
  const databaseUrl = deps.orm.config.get('clientUrl')!;

  return async function deliverBatch(input: DeliverBatchInput): Promise<DeliverBatchResult> {
    const fence = await LaneFence.acquire(databaseUrl, input);
    try {
      return await deliverFenced(deps, input, batchSize, fence);
    } finally {
      await fence.release();
    }
  };
}

async function deliverFenced(deps: ActivityDeps, input: DeliverBatchInput, batchSize: number, fence: LaneFence): Promise<DeliverBatchResult> {
  const inClient = <T>(work: (em: EntityManager) => Promise<T>) => withClient(deps.orm.em, input.clientId, work);
  const sendKey = randomUUID();
  const channel = input.channel ?? await inClient((em) => stepChannel(em, input));
  const scope: SettlementScope = { campaignId: input.campaignId, clientId: input.clientId, stepNumber: input.stepNumber, channel, sendKey };
  // Only a retry can find rows an earlier attempt of this very batch left pending.
  const reconciled = Context.current().info.attempt > 1 ? await reconcileUnknownOutcomes(deps, input, channel) : [];
  // Campaign mail goes out under the client's own unsubscribe group (its opt-outs, no other client's),
  // looked up before anything is claimed, so a SendGrid failure creating it leaves nothing pending.
  const groupId = channel === 'email' ? await unsubscribeGroupId(deps, input.clientId, 'marketing') : null;
  const claim = await inClient((em) => claimPage(deps, em, input, channel, batchSize, sendKey));
  const metrics = channel === 'sms' ? smsMetrics : deliveryMetrics;
  metrics.skipped(claim.skips);
  if (channel === 'sms') smsMetrics.settled(reconciled, 0, null);
  else deliveryMetrics.settled(reconciled, claim.budget);

  const { outcome, failure, unanswered } = claim.sms
    ? await claim.sms.sender.send(claim.toSend.map((row) => ({ donorId: row.donor_id, text: claim.sms!.texts.get(row.donor_id)! })), fence)
    : await mailPage(deps, input, claim, sendKey, groupId!, fence);
  const { settled, tally, units, alerts } = await inClient(async (em) => {
    if (claim.budget) await lockBudget(em, claim.budget.budgetId);
    const changed = await settleOutcome(em, scope, outcome);
    if (failure) {
      await releaseUnsent(em, scope, claim.toSend.map((row) => row.donor_id), unanswered);
      return { settled: changed, tally: null, units: 0, alerts: [] };
    }
    const page = claim.settledBefore ? await pageTally(em, scope, claim.pageDonorIds) : claimTally([...claim.skips, ...changed.skipped], changed);
    // A text is billed by its segments; an email is one unit.
    const sentUnits = claim.sms ? await pageSentUnits(em, scope, claim.pageDonorIds) : page.sent;
    const fired = claim.budget ? await settleBudget(em, claim.budget, sentUnits) : [];
    const textUnits = claim.sms ? changed.sent.reduce((sum, id) => sum + (claim.sms!.texts.get(id)?.segments ?? 1), 0) : 0;
    return { settled: changed, tally: page, units: textUnits, alerts: fired };
  });
  if (claim.sms) {
    smsMetrics.skipped(settled.skipped);
    smsMetrics.settled([settled], units, claim.budget);
  } else deliveryMetrics.settled([settled], claim.budget);
  if (!tally) throw claim.sms ? asTextFailure(failure) : asActivityFailure(failure);
  if (claim.budget?.exhausted) tally.budgetExhausted = true;
  const waits = [claim.budget?.waitUntil ?? null, claim.smsOpensAt].filter((at): at is number => at !== null);
  const waitUntil = waits.length > 0 ? Math.max(...waits) : null;
  return {
    tally, nextCursor: claim.pageFull || waitUntil !== null ? claim.cursor : null,
    ...(waitUntil !== null ? { waitUntil } : {}), ...(alerts.length > 0 ? { alerts } : {}),
  };
}

/**
 * Mails a page as SendGrid requests, one per message variant, side by side. Whatever SendGrid accepted is
 * reported, even when another variant failed; a request that got no HTTP answer may have been accepted,
 * so its rows are reported unanswered and stay pending for the provider's record.
 */
async function mailPage(deps: ActivityDeps, input: DeliverBatchInput, claim: Claim, sendKey: string, groupId: number, fence: LaneFence) {
  const mailer = new VariantMailer(deps, input, claim.context, sendKey, groupId, fence, claim.variants);
  const groups = mailer.address(claim.toSend);
  const sends = await Promise.allSettled(groups.map((group) => mailer.send(group)));
  const accepted = sends.flatMap((send) => (send.status === 'fulfilled' ? [send.value] : []));
  const failure = sends.find((send): send is PromiseRejectedResult => send.status === 'rejected');
  const unanswered = groups.flatMap((group, i) => {
    const send = sends[i];
    return send.status === 'rejected' && !answeredByProvider(send.reason) ? group.map(({ row }) => row.donor_id) : [];
  });
  const outcome: ProviderOutcome = { sent: accepted.flatMap((o) => o.sent), failed: accepted.flatMap((o) => o.failed) };
  return { outcome, failure: failure?.reason, unanswered };
}

/**
 * The channel of a lane that names none (a touchpoint started before lanes per channel): the step's one
 * channel, read before anything is claimed. Such a touchpoint cannot deliver a step sent on two channels:
 * it fails without sending rather than deliver one of them.
 */
async function stepChannel(em: EntityManager, input: DeliverBatchInput): Promise<DeliveryChannel> {
  const [row] = await em.execute<{ channel: StepChannel }[]>(
    'select channel from track15_narrative_steps where campaign_id = ? and step_number = ?', [input.campaignId, input.stepNumber]);
  if (row?.channel === 'email_and_sms') {
    throw ApplicationFailure.create({
      message: `step ${input.stepNumber} of campaign ${input.campaignId} is sent by email and SMS: its lanes must name their channel`,
      type: 'LaneChannelMissing', nonRetryable: true,
    });
  }
  return row?.channel ?? 'email';
}

async function claimPage(deps: ActivityDeps, em: EntityManager, input: DeliverBatchInput, channel: DeliveryChannel, batchSize: number, sendKey: string): Promise<Claim> {
  const context = await loadStepContext(em, input);
  const sms = channel === 'sms' ? new SmsSender(deps, input, context, sendKey) : null;
  const zoneList = input.zones ? JSON.stringify(input.zones) : null;
  const limit = readLimit(input, context, batchSize);
  const pageRead = await executeBound<PageRow>(em, PAGE_SQL, [
    sms !== null, sms !== null, sms !== null,
    isConversionAsk(context.step.stage), context.activatedAt, input.stepNumber, channel, input.campaignId, input.shard, input.afterDonorId, input.afterDonorId,
    zoneList, input.campaignId, zoneList, limit,
  ]);
  const { read: phaseRead, ...phase } = abPhaseOf(pageRead, input, context, batchSize);
  const { variants } = phase;
  // A text waits for 08:00-21:00 in its recipient's zone: the page ends before the first recipient outside
  // them, and the lane resumes there when they open (deferred, never dropped). In a time-zone wave every
  // recipient shares the zone, so a wave is held or sent whole.
  const closed = sms ? firstOutsideSmsHours(phase.page, context, deps.clock ?? Date.now) : null;
  const read = closed ? phaseRead.filter((row) => row.donor_id < closed.donorId) : phaseRead;
  let page = closed ? phase.page.filter((row) => row.donor_id < closed.donorId) : phase.page;
  const fresh = page.filter((row) => row.ledger_status === null);
  let decisions = fresh.map((row) => ({ row, skip: sms ? textSkipReason(row, context) : skipReason(row, context) }));
  if (context.frequencyCap && channel === 'email') {
    const capped = await overCap(em, input.clientId, decisions.filter((d) => d.skip === null).map((d) => d.row.donor_id), context.frequencyCap);
    for (const d of decisions) if (d.skip === null && capped.has(d.row.donor_id)) d.skip = 'frequency_cap';
  }
  // Each text is written now: its segments are what it costs, in budget units (an email is one).
  const texts = new Map<string, SentText>();
  if (sms) {
    for (const { row, skip } of decisions) {
      if (skip !== null) continue;
      texts.set(row.donor_id, sms.write({
        donorId: row.donor_id, phone: row.phone!, firstName: row.first_name, lastName: row.last_name, email: row.email, segment: row.segment,
      }, input.ab ? variants.get(row.donor_id) : undefined));
    }
  }
  const unitsOf = (donorId: string) => texts.get(donorId)?.segments ?? 1;
  const wanted = decisions.reduce((sum, d) => sum + (d.skip === null ? unitsOf(d.row.donor_id) : 0), 0);

  const sentBefore = page.filter((row) => row.ledger_status !== null && !UNSENT_STATUSES.has(row.ledger_status)).map((row) => row.donor_id);
  const alreadySent = sms ? await pageSentUnits(em, { ...input, channel }, sentBefore) : sentBefore.length;
  const budget = context.budgetId
    ? await reserveBudget(em, {
      budgetId: context.budgetId, ...input, wanted, alreadySent, waitForPeriod: input.waitForPeriod ?? false,
      clock: { dayLengthSeconds: context.dayLengthSeconds, anchorMs: context.activatedAt ? new Date(context.activatedAt).getTime() : Date.now() },
    })
    : null;
  let cursor = read.at(-1)?.donor_id ?? (closed ? input.afterDonorId : null);
  if (budget?.waitUntil) {
    // The period's amount pays for the first `affordable` wanted recipients: the page ends just before the
    // next one, undecided, and the lane goes on from there once the next period has come.
    let paid = 0;
    const stop = decisions.findIndex((d) => d.skip === null && (paid += unitsOf(d.row.donor_id)) > budget.affordable);
    const firstUnpaid = decisions[stop].row.donor_id;
    decisions = decisions.slice(0, stop);
    page = page.filter((row) => row.donor_id < firstUnpaid);
    cursor = read.slice(0, read.findIndex((row) => row.donor_id === firstUnpaid)).at(-1)?.donor_id ?? input.afterDonorId;
  }
  // The first recipients the budget affords are sent; the rest of those wanted are skipped for it.
  let affordable = budget ? budget.affordable : wanted;
  for (const d of decisions) {
    if (d.skip !== null) continue;
    const units = unitsOf(d.row.donor_id);
    if (units > affordable) d.skip = 'budget_exhausted';
    else affordable -= units;
  }
  const toSend = decisions.filter((d) => d.skip === null).map((d) => d.row);

  // Only the test share records its variant: the rates are read from these rows (activities/ab-test.ts).
  const ledger = decisions.map(({ row, skip }) => ({
    donor_id: row.donor_id, status: skip ? 'skipped' : 'pending', skip_reason: skip,
    ab_variant: input.ab?.phase === 'test' ? variants.get(row.donor_id) ?? null : null,
    sms_segments: skip ? null : texts.get(row.donor_id)?.segments ?? null,
  }));
  if (ledger.length > 0) {
    const inserted = await executeBound<{ status: string }>(em, INSERT_LEDGER_SQL, [
      input.campaignId, input.stepNumber, input.clientId, channel, sendKey, JSON.stringify(ledger),
    ]);
    await countStat(em, input.campaignId, 'skipped', inserted.filter((row) => row.status === 'skipped').length);
  }
  return {
    context, toSend, skips: decisions.flatMap((d) => (d.skip ? [d.skip] : [])), settledBefore: decisions.length < page.length,
    pageDonorIds: page.map((row) => row.donor_id), pageFull: phaseRead.length < pageRead.length || pageRead.length === limit,
    cursor, variants, budget,
    sms: sms ? { sender: sms, texts } : null, smsOpensAt: closed?.opensAt ?? null,
  };
}

/**
 * The first recipient of the page still to be decided whom a text may not reach now on `clock`, and when
 * it may, as an instant on the process's own clock (the two differ only in tests).
 */
function firstOutsideSmsHours(page: PageRow[], context: StepContext, clock: () => number): { donorId: string; opensAt: number } | null {
  const now = clock();
  for (const row of page) {
    if (row.ledger_status !== null) continue;
    const window = smsSendWindow(new Date(now), row.timezone, context.timezone);
    if (!window.open) return { donorId: row.donor_id, opensAt: Date.now() + (window.opensAt.getTime() - now) };
  }
  return null;
}

/**
 * Why a recipient does not get a text (issue 18 item 2): the rules of email where they apply (control
 * group, marketing unsubscribe, a conversion ask after a gift) and three of its own, in this order: no
 * valid E.164 phone, the number opted out of the client (STOP), no SMS consent for marketing.
 */
function textSkipReason(row: PageRow, context: StepContext): SkipReason | null {
  const conversion = isConversionAsk(context.step.stage);
  if (row.recipient_group === 'control' && !(context.controlTreatment === 'standard_appeal' && conversion)) return 'control_group';
  if (row.unsubscribed) return 'unsubscribed';
  if (!isE164(row.phone)) return 'no_address';
  if (row.sms_opted_out) return 'sms_opted_out';
  if (!row.sms_consent) return 'no_sms_consent';
  if (conversion && row.gave) return 'already_gave';
  return null;
}

const MAX_READ_BATCHES = 10;

/**
 * How many rows of the lane a page reads: a batch, or in a phase of an A/B step, enough that the phase's
 * own share of them (the test share, or the rest) fills about a batch, so each phase takes about as many
 * requests as its recipients need rather than one per batch of the whole audience.
 */
function readLimit(input: DeliverBatchInput, context: StepContext, batchSize: number): number {
  const test = context.abTest;
  if (!input.ab || !test) return batchSize;
  const share = input.ab.phase === 'test' ? test.test_share : 1 - test.test_share;
  // At most ten batches' rows in memory, however small the share.
  return share > 0 ? Math.min(MAX_READ_BATCHES * batchSize, Math.ceil(batchSize / share)) : batchSize;
}

/**
 * The rows of a page this phase of an A/B step claims, with each one's variant: the test phase takes the
 * test share (split evenly by a stable bucket of campaign, step and donor, domain/experiments/ab-test.ts), the rest
 * phase everyone else, with the winner. At most `batchSize` of them (one request's worth): a page that found
 * more ends at the last one it claims, and `read` is what it read up to there (the lane's cursor). Without a
 * test (or a phase) the whole page, with no variants.
 */
function abPhaseOf(read: PageRow[], input: DeliverBatchInput, context: StepContext, batchSize: number):
{ read: PageRow[]; page: PageRow[]; variants: Map<string, number> } {
  const test = context.abTest;
  const variants = new Map<string, number>();
  if (!input.ab || !test) return { read, page: read, variants };
  const page: PageRow[] = [];
  for (const [index, row] of read.entries()) {
    const place = abAssignment(recipientBucket(input.campaignId, input.stepNumber, row.donor_id), test.test_share, test.variants.length);
    if (input.ab.phase === 'test' && place.kind === 'variant') variants.set(row.donor_id, place.index);
    else if (input.ab.phase === 'rest' && place.kind === 'rest') variants.set(row.donor_id, input.ab.winner);
    else continue;
    page.push(row);
    if (page.length === batchSize) return { read: read.slice(0, index + 1), page, variants };
  }
  return { read, page, variants };
}

/** Why a recipient does not get this touchpoint, or null when it should be sent. */
function skipReason(row: PageRow, context: StepContext): SkipReason | null {
  const conversion = isConversionAsk(context.step.stage);
  if (row.recipient_group === 'control' && !(context.controlTreatment === 'standard_appeal' && conversion)) return 'control_group';
  if (row.unsubscribed) return 'unsubscribed';
  if (row.suppressed) return 'suppressed';
  if (!row.email) return 'no_address';
  if (conversion && row.gave) return 'already_gave';
  return null;
}

/** A recipient to send, with the message variant it reads and its own values. */
interface Addressed { row: PageRow; draft: Draft; composer: StepComposer }

/**
 * Sends a page as one SendGrid request per message variant (see domain/delivery/message-variants and
 * delivery/compose.ts): each variant is rendered once, each recipient gets its values as substitutions.
 * What is the same for every recipient (custom args but the donor's id, the one-click header) is said
 * once per request: a request carries up to 1,000 personalizations, and each byte of one is copied and
 * converted several times on its way out.
 */
class VariantMailer {
  private readonly composer: StepComposer;
  /** One composer per A/B variant of the step (the step with that variant's texts); empty without a test. */
  private readonly abComposers: StepComposer[];

  constructor(
    private readonly deps: ActivityDeps,
    private readonly input: DeliverBatchInput,
    context: StepContext,
    private readonly sendKey: string,
    private readonly groupId: number,
    private readonly fence: LaneFence,
    private readonly abVariants: Map<string, number>,
  ) {
    // The send key is a random UUID drawn for this attempt: its hex makes the tags unguessable.
    const nonce = sendKey.replace(/-/g, '').slice(0, 12);
    this.composer = new StepComposer(deps, input, context, nonce);
    this.abComposers = (context.abTest?.variants ?? []).map((variant) => new StepComposer(deps, input, { ...context, step: withVariant(context.step, variant) }, nonce));
  }

  /** The page's recipients grouped by the variant they read, in page order. */
  address(rows: PageRow[]): Addressed[][] {
    const addressed = rows.map((row) => {
      const abVariant = this.abVariants.get(row.donor_id);
      const composer = abVariant === undefined ? this.composer : this.abComposers[abVariant] ?? this.composer;
      return {
        row, composer,
        draft: composer.draft(
          { donorId: row.donor_id, email: row.email, firstName: row.first_name, lastName: row.last_name, segment: row.segment },
          row.email!, { customArgs: { donor_id: row.donor_id } },
        ),
      };
    });
    // One request per A/B variant and message variant within it.
    return [...groupBy(addressed, (a) => `${this.abVariants.get(a.row.donor_id) ?? ''}/${a.draft.variant.key}`).values()];
  }

  async send(group: Addressed[]): Promise<ProviderOutcome> {
    const failed: ProviderOutcome['failed'] = [];
    let remaining = group;
    // A 400 names one bad address: fail that delivery alone and resend the others.
    while (remaining.length > 0) {
      const built = buildMailRequest(remaining[0].composer.message(remaining.map(({ draft }) => draft), {
        customArgs: { campaign_id: this.input.campaignId, client_id: this.input.clientId, step_number: String(this.input.stepNumber), send_key: this.sendKey },
        asmGroupId: this.groupId,
      }));
      for (const { index, reason } of built.refused) failed.push({ donorId: remaining[index].row.donor_id, reason });
      const included = built.included.map((index) => remaining[index]);
      if (!built.body) break;
      // Every call, the first and each resend after a 400, first proves this attempt still owns the rows it sends.
      await this.fence.assertHeld({ lane: this.input, channel: 'email', sendKey: this.sendKey, donorIds: included.map(({ row }) => row.donor_id) });
      try {
        const [response] = await sendMail(this.deps.sendgrid, Context.current().cancellationSignal, built.body);
        const messageId = String(response.headers['x-message-id'] ?? '') || null;
        return { sent: included.map(({ row }) => ({ donorId: row.donor_id, email: row.email, messageId })), failed };
      } catch (error) {
        const rejected = rejectedRecipient(error);
        if (!rejected || !included[rejected.index]) throw error;
        failed.push({ donorId: included[rejected.index].row.donor_id, reason: rejected.reason });
        remaining = included.filter((_, index) => index !== rejected.index);
      }
    }
    return { sent: [], failed };
  }
}

/**
 * Settles what a killed attempt left pending: recipients the provider accepted become `sent`, the others
 * are released so this attempt decides and sends them afresh. Only one page of a lane is in flight at
 * a time, so every pending row of the lane past the cursor belongs to this page.
 */
async function reconcileUnknownOutcomes(deps: ActivityDeps, input: DeliverBatchInput, channel: DeliveryChannel): Promise<Settled[]> {
  const inClient = <T>(work: (em: EntityManager) => Promise<T>) => withClient(deps.orm.em, input.clientId, work);
  const stale = await inClient((em) => em.execute<StaleRow[]>(
    `select l.donor_id, d.email, d.phone, l.send_key, l.sms_segments, l.created_at, cl.sms_from_number
       from campaign_deliveries l join donors d on d.id = l.donor_id join clients cl on cl.id = l.client_id
      where l.campaign_id = ? and l.step_number = ? and l.channel = ? and l.status = 'pending' and (?::uuid is null or l.donor_id > ?::uuid)
        and exists (select 1 from campaign_recipients r where r.campaign_id = l.campaign_id and r.donor_id = l.donor_id and r.shard = ?)`,
    [input.campaignId, input.stepNumber, channel, input.afterDonorId, input.afterDonorId, input.shard]));
  const settled: Settled[] = [];
  for (const sendKey of new Set(stale.map((row) => row.send_key))) {
    const rows = stale.filter((row) => row.send_key === sendKey);
    const sent = channel === 'sms' ? await textsAccepted(deps, rows) : await mailAccepted(deps, sendKey, rows);
    const scope: SettlementScope = { campaignId: input.campaignId, clientId: input.clientId, stepNumber: input.stepNumber, channel, sendKey };
    settled.push(await inClient(async (em) => {
      const changed = await settleOutcome(em, scope, { sent, failed: [] });
      await releaseUnsent(em, scope, rows.map((row) => row.donor_id));
      return changed;
    }));
  }
  return settled;
}

interface StaleRow {
  donor_id: string; email: string | null; phone: string | null; send_key: string; sms_segments: number | null;
  created_at: string; sms_from_number: string | null;
}

/** The rows of one request SendGrid accepted, found by its `send_key` custom argument. */
async function mailAccepted(deps: ActivityDeps, sendKey: string, rows: StaleRow[]): Promise<ProviderOutcome['sent']> {
  const accepted = await acceptedRecipients(deps.sendgrid.client, sendKey).catch((error: unknown) => { throw providerFailure(error); });
  return rows.filter((row) => row.email && accepted.has(row.email.toLowerCase()))
    .map((row) => ({ donorId: row.donor_id, email: row.email, messageId: accepted.get(row.email!.toLowerCase())! }));
}

/** The texts of one attempt Twilio holds: from the client's number to each donor's, since the claim. */
async function textsAccepted(deps: ActivityDeps, rows: StaleRow[]): Promise<ProviderOutcome['sent']> {
  const from = rows[0].sms_from_number;
  const numbered = rows.filter((row) => row.phone);
  if (!from || numbered.length === 0) return [];
  const since = new Date(Math.min(...numbered.map((row) => new Date(row.created_at).getTime())));
  const accepted = await acceptedTexts(deps.twilio, from, numbered.map((row) => row.phone!), since).catch((error: unknown) => { throw twilioFailure(error); });
  return numbered.filter((row) => accepted.has(row.phone!)).map((row) => {
    const text = accepted.get(row.phone!)!;
    return { donorId: row.donor_id, email: null, messageId: text.sid, text: { to: row.phone!, from, body: text.body, segments: row.sms_segments ?? 1 } };
  });
}

/** The page's counts when this attempt decided every recipient of it, from what its settlement changed. */
function claimTally(skips: SkipReason[], settled: Settled): StepTally {
  const tally: StepTally = { ...emptyTally(), skipped: skips.length, sent: settled.sent.length, failed: settled.failed.length };
  for (const reason of skips) tally.skipReasons[reason] = (tally.skipReasons[reason] ?? 0) + 1;
  return tally;
}


function asActivityFailure(error: unknown): ApplicationFailure {
  return error instanceof ApplicationFailure ? error : providerFailure(error);
}

function asTextFailure(error: unknown): ApplicationFailure {
  return error instanceof ApplicationFailure ? error : twilioFailure(error);
}

// The first three parameters say whether the step is a text. A text's unsubscribe is a marketing (or all)
// unsubscribe, not email being switched off; its consent is SMS enabled for marketing (or all).
const PAGE_SQL = `
  select r.donor_id, r.recipient_group, d.email, d.first_name, d.last_name, d.phone, r.timezone,
         coalesce(d.rfm_segment, r.segment_at_start) as segment,
         d.email_suppressed_at is not null as suppressed,
         exists (select 1 from notification_preferences p
                  where p.donor_id = d.id and p.category in ('marketing', 'all')
                    and (p.unsubscribed_at is not null or (not ?::boolean and not p.email_enabled))) as unsubscribed,
         case when ?::boolean then exists (select 1 from sms_opt_outs o where o.client_id = d.client_id and o.phone = d.phone)
              else false end as sms_opted_out,
         case when ?::boolean then exists (select 1 from notification_preferences p
                  where p.donor_id = d.id and p.category in ('marketing', 'all') and p.sms_enabled and p.unsubscribed_at is null)
              else false end as sms_consent,
         -- Only a conversion ask skips those who already gave; other steps need not look (CASE is lazy).
         -- "During the campaign" is from activation until now: a gift dated later is not a gift yet.
         case when ?::boolean then exists (select 1 from donations g
                  where g.donor_id = d.id and g.status = 'succeeded' and g.donated_at between ? and now()) else false end as gave,
         -- A primary-key lookup per row: a join here lets stale statistics pick a plan that rescans the step.
         (select l.status from campaign_deliveries l
           where l.campaign_id = r.campaign_id and l.step_number = ? and l.donor_id = r.donor_id and l.channel = ?) as ledger_status
    from campaign_recipients r
    join donors d on d.id = r.donor_id
   where r.campaign_id = ? and r.shard = ? and (?::uuid is null or r.donor_id > ?::uuid)
     -- A wave's recipients: the lane's index walk skips the other zones' rows (a few waves a touchpoint).
     and (?::jsonb is null
          or coalesce(r.timezone, (select track15_timezone from campaigns where id = ?)) = any(array(select jsonb_array_elements_text(?::jsonb))))
   order by r.donor_id
   limit ?`;

const INSERT_LEDGER_SQL = `
  insert into campaign_deliveries (campaign_id, step_number, donor_id, client_id, channel, status, skip_reason, send_key, settled_at, attempts, ab_variant, sms_segments)
  select ?, ?, x.donor_id, ?, ?, x.status, x.skip_reason, ?, case when x.status = 'skipped' then now() end, 1, x.ab_variant, x.sms_segments
    from json_to_recordset(?::json) as x(donor_id uuid, status text, skip_reason text, ab_variant smallint, sms_segments smallint)
  on conflict do nothing
  returning status`;
