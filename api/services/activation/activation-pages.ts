import { createHmac } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import type Stripe from 'stripe';
import { isActivationToken } from '../../../domain/activation-token';
import { asOperator } from '../../../domain/db/tenancy';
import { Problem, invalid } from '../../problem';
import type { PageType } from '../../schemas/activation/content-versions';
import { callStripe } from '../giving/checkout';
import type { BrandGuidelinesRow } from '../../pages/brand';

/**
 * The activation pages' data (issue 16 items 2 and 3): which client a token opens, the current version of
 * each page type, the funnel's records (views, acceptances) and the activation payment's Checkout Session.
 */

/** Seed 003's $500 is charged in US dollars; the amount is the client's `activation_amount` (minor units). */
export const ACTIVATION_CURRENCY = 'usd';

/** Stands in for a malformed token, so every request costs the same single indexed lookup. */
const NO_TOKEN = 'G----';

/**
 * The client an activation token opens, or null: one lookup on the unique index of clients.activation_token
 * per request, whether the token is well-formed, unknown or used up, so the time taken says nothing about
 * which tokens exist (the route's per-address rate limit bounds guessing). Needs the operator role: the
 * token is the only thing the request carries.
 */
export async function clientOfToken(em: EntityManager, token: string): Promise<string | null> {
  const [row] = await asOperator(em, (tx) => tx.execute<{ id: string }[]>(
    'select id from clients where activation_token = ?', [isActivationToken(token) ? token : NO_TOKEN]));
  return row?.id ?? null;
}

export interface CurrentVersion { id: string; content: Record<string, unknown> }

export interface ActivationState {
  clientId: string;
  organisation: string;
  status: 'pending' | 'active' | 'paid' | 'failed';
  /** What is charged: minor units of ACTIVATION_CURRENCY. */
  amount: number;
  /** When the workflow expired the token (ISO 8601), or null. */
  expiredAt: string | null;
  /** Whether a payment was ever started: the processing and confirmation pages exist only then. */
  paymentStarted: boolean;
  brand: BrandGuidelinesRow | null;
  versions: Partial<Record<PageType, CurrentVersion>>;
}

/** Everything the pages show of one client, in its tenant: the client, its default brand guidelines and the current versions. */
export async function loadActivationState(em: EntityManager, clientId: string): Promise<ActivationState> {
  const [client] = await em.execute<{ name: string; status: ActivationState['status']; activation_amount: number; activation_expired_at: Date | null; payment_started: boolean }[]>(
    `select name, status, activation_amount, activation_expired_at,
            exists (select 1 from payments p where p.client_id = c.id and p.acceptance_id is not null) as payment_started
       from clients c where id = ?`, [clientId]);
  const [brand] = await em.execute<BrandGuidelinesRow[]>(
    `select high_level_guidelines, full_style_guide from brand_guidelines
      where client_id = ? and deleted_at is null order by is_default desc, created_at limit 1`, [clientId]);
  const current = await em.execute<{ id: string; page_type: PageType; content: Record<string, unknown> }[]>(
    'select id, page_type, content from content_versions where client_id = ? and is_current', [clientId]);
  return {
    clientId, organisation: client.name, status: client.status, amount: client.activation_amount,
    expiredAt: client.activation_expired_at ? new Date(client.activation_expired_at).toISOString() : null,
    paymentStarted: client.payment_started, brand: brand ?? null,
    versions: Object.fromEntries(current.map((row) => [row.page_type, { id: row.id, content: row.content }])),
  };
}

/** A token is used up once the client has paid or the workflow expired it: its activation and agreement pages are gone. */
export function isUsedUp(state: ActivationState): boolean {
  return state.status === 'paid' || state.expiredAt !== null;
}

/**
 * The visitor of a page on a day, as a salted hash (hex HMAC-SHA256 of the day, the address and the user
 * agent, keyed by a key derived from the pages' secret): the same visitor counts once a day, nothing
 * personal is stored, and a hash says nothing about the visitor on another day.
 */
export function visitorHash(secret: string, visitor: { ip: string; userAgent: string }, day: string): string {
  const key = createHmac('sha256', secret).update('activation-visitor').digest();
  return createHmac('sha256', key).update(`${day}\n${visitor.ip}\n${visitor.userAgent}`).digest('hex');
}

/** Today as the views count days: the UTC date (YYYY-MM-DD). */
export function viewDay(now: Date = new Date()): string {
  return now.toISOString().slice(0, 10);
}

/** One view of a version per visitor per day (content_version_views' unique key): a repeat changes nothing. */
export async function recordView(em: EntityManager, clientId: string, versionId: string, visitor: string, day: string): Promise<void> {
  await em.execute(
    `insert into content_version_views (client_id, content_version_id, visitor_hash, view_day) values (?, ?, ?, ?::date)
     on conflict (content_version_id, visitor_hash, view_day) do nothing`,
    [clientId, versionId, visitor, day]);
}

export interface Acceptance {
  /** The agreement version accepted, and the activation version shown before it (if the form named one of the client's). */
  agreementVersionId: string;
  activationVersionId: string | null;
  /** The form's id as rendered: a resubmission of the same form is the same acceptance. */
  submissionId: string;
  visitor: string;
}

export interface StartedPayment {
  paymentId: string;
  acceptanceId: string;
  idempotencyKey: string;
  amount: number;
  checkoutUrl: string | null;
}

/**
 * Records the acceptance (time, agreement version, activation version shown) and the pending payment it
 * starts, once per submitted form, and moves the client pending (or failed, a new attempt) -> active.
 * The versions must be the client's own of the right page type, else 400 naming the field. The payment
 * is credited to the agreement version (payments.content_version_id) and, through the acceptance, to the
 * activation version (api/services/activation/version-stats.ts).
 */
export async function acceptAgreement(em: EntityManager, state: ActivationState, acceptance: Acceptance): Promise<StartedPayment> {
  const versions = await em.execute<{ id: string; page_type: PageType }[]>(
    'select id, page_type from content_versions where id in (?, ?)', [acceptance.agreementVersionId, acceptance.activationVersionId ?? acceptance.agreementVersionId]);
  const typeOf = (id: string | null) => versions.find((v) => v.id === id)?.page_type;
  if (typeOf(acceptance.agreementVersionId) !== 'agreement') throw invalid([{ field: 'body.agreement_version_id', message: 'is not an agreement version of this client' }]);
  const activationVersionId = typeOf(acceptance.activationVersionId) === 'activation' ? acceptance.activationVersionId : null;

  await em.execute(
    `insert into agreement_acceptances (client_id, content_version_id, activation_version_id, visitor_hash, submission_id)
     values (?, ?, ?, ?, ?) on conflict (client_id, submission_id) do nothing`,
    [state.clientId, acceptance.agreementVersionId, activationVersionId, acceptance.visitor, acceptance.submissionId]);
  const [accepted] = await em.execute<{ id: string; content_version_id: string }[]>(
    'select id, content_version_id from agreement_acceptances where client_id = ? and submission_id = ?', [state.clientId, acceptance.submissionId]);
  const idempotencyKey = `activation:${state.clientId}:${accepted.id}`;
  await em.execute(
    `insert into payments (client_id, content_version_id, acceptance_id, idempotency_key, amount, currency, status)
     values (?, ?, ?, ?, ?, ?, 'pending') on conflict (idempotency_key) do nothing`,
    [state.clientId, accepted.content_version_id, accepted.id, idempotencyKey, state.amount, ACTIVATION_CURRENCY]);
  const [payment] = await em.execute<{ id: string; amount: number; checkout_url: string | null }[]>(
    'select id, amount, checkout_url from payments where idempotency_key = ?', [idempotencyKey]);
  await em.execute(`update clients set status = 'active' where id = ? and status in ('pending', 'failed')`, [state.clientId]);
  return { paymentId: payment.id, acceptanceId: accepted.id, idempotencyKey, amount: payment.amount, checkoutUrl: payment.checkout_url };
}

type InClient = <T>(work: (em: EntityManager) => Promise<T>) => Promise<T>;

export interface CheckoutUrls { successUrl: string; cancelUrl: string }

/**
 * The Stripe Checkout Session of an activation payment (mode=payment, the client's amount in USD cents),
 * one per acceptance: Stripe is called with the payment's idempotency key (`activation:<client>:<acceptance>`,
 * the SDK retries with it too), and the first session stored is the one every repeat redirects to.
 * Its metadata, on the session and on the PaymentIntent, says what the payment is for (purpose
 * `activation`), whose it is and which content versions it is credited to, so the webhook can record
 * it (activities/activation/activation-payments.ts). Answers the session URL; 502 when Stripe does not answer.
 */
export async function startActivationCheckout(inClient: InClient, stripe: Stripe, state: ActivationState, started: StartedPayment,
  versions: { agreementVersionId: string; activationVersionId: string | null }, urls: CheckoutUrls): Promise<string> {
  if (started.checkoutUrl) return started.checkoutUrl;
  const metadata: Record<string, string> = {
    purpose: 'activation',
    client_id: state.clientId,
    payment_id: started.paymentId,
    acceptance_id: started.acceptanceId,
    content_version_id: versions.agreementVersionId,
    activation_version_id: versions.activationVersionId ?? '',
  };
  const session = await callStripe('start the payment', () => stripe.checkout.sessions.create({
    mode: 'payment',
    success_url: urls.successUrl,
    cancel_url: urls.cancelUrl,
    client_reference_id: state.clientId,
    line_items: [{ quantity: 1, price_data: { currency: ACTIVATION_CURRENCY, unit_amount: started.amount, product_data: { name: `Track15 activation: ${state.organisation}` } } }],
    metadata,
    payment_intent_data: { metadata },
  }, { idempotencyKey: started.idempotencyKey }));
  if (!session.url) throw new Problem(502, 'Bad Gateway', 'Stripe created the checkout session without a URL; try again');
  return inClient(async (em) => {
    const [row] = await em.execute<{ checkout_url: string }[]>(
      `update payments set stripe_checkout_session_id = coalesce(stripe_checkout_session_id, ?), checkout_url = coalesce(checkout_url, ?)
        where id = ? returning checkout_url`,
      [session.id, session.url, started.paymentId]);
    return row.checkout_url;
  });
}
