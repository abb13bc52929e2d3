import type { EntityManager } from '@mikro-orm/postgresql';
import { Context } from '@temporalio/activity';
import Handlebars from 'handlebars';
import { withClient } from '../../domain/db/tenancy';
import { toDecimalString } from '../../domain/money';
import type { ActivityDeps } from '..';
import { asOnlyAttempt } from '../attempt-fence';
import { buildMailRequest } from '../email/mail-request';
import { acceptedRecipients, providerFailure, sendMail } from '../email/sendgrid';

/** The transactional mails of a ticket order (issue 17): each sent at most once per order. */
export type TicketMailKind = 'receipt' | 'late_refund' | 'cancellation';

export interface TicketMailInput { clientId: string; orderId: string; kind: TicketMailKind }

interface MailFacts {
  email: string | null; name: string | null; eventName: string; startsAt: string; venue: string | null; reason: string | null;
  currency: string; amountTotal: number; fromEmail: string | null; fromName: string | null; replyTo: string | null;
  tickets: { number: string; type: string; code: string; price: number }[];
}

const SUBJECTS: Record<TicketMailKind, string> = {
  receipt: 'Your tickets for {{eventName}}',
  late_refund: 'Your payment for {{eventName}} was refunded',
  cancellation: '{{eventName}} is cancelled: your tickets are refunded',
};

const TEXT: Record<TicketMailKind, string> = {
  receipt: `Thank you{{#if name}}, {{name}}{{/if}}. Your payment of {{total}} is received.

{{eventName}} — {{startsAt}}{{#if venue}}, {{venue}}{{/if}}

{{#each tickets}}Ticket {{number}} ({{type}}, {{price}}) — check-in code {{code}}
{{/each}}
Show the ticket number or the check-in code at the door.`,
  late_refund: `Your payment of {{total}} for {{eventName}} arrived after your reservation had been released (reservations are held for a limited time), so the tickets could not be issued.

The full amount has been refunded to your card; it can take 5–10 days to appear.`,
  cancellation: `We are sorry: {{eventName}} ({{startsAt}}) is cancelled.{{#if reason}} {{reason}}{{/if}}

Your tickets ({{#each tickets}}{{number}}{{#unless @last}}, {{/unless}}{{/each}}) are refunded to your card, {{total}} in all; it can take 5–10 days to appear.`,
};

const compiled = Object.fromEntries((Object.keys(TEXT) as TicketMailKind[]).map((kind) => [kind, {
  subject: Handlebars.compile(SUBJECTS[kind], { noEscape: true }),
  text: Handlebars.compile(TEXT[kind], { noEscape: true }),
  // The HTML part is the same words, every value escaped by Handlebars, one paragraph per blank line.
  html: Handlebars.compile(TEXT[kind].split('\n\n').map((paragraph) => `<p>${paragraph.replace(/\n/g, '<br>')}</p>`).join('\n')),
}])) as Record<TicketMailKind, { subject: Handlebars.TemplateDelegate; text: Handlebars.TemplateDelegate; html: Handlebars.TemplateDelegate }>;

/**
 * Sends one transactional mail of an order to its buyer, at most once (issue 17: receipt with event,
 * type, number and check-in code of each ticket; the refund of a late payment and why; the event's
 * cancellation and refund): the mail is claimed in `ticket_mails` under a send key before SendGrid is
 * called and settled after; a retry that finds the claim pending asks SendGrid's Email Activity whether
 * the key's mail was accepted before sending again (as the campaign delivery does after a crash). An
 * earlier attempt Temporal gave up on while it still runs is waited for first (activities/attempt-fence.ts),
 * so the record is read only once nothing else can add to it.
 * Transactional: no unsubscribe group, so it reaches donors who opted out of marketing. Answers what
 * happened: `sent`, `already` (sent before) or `skipped` (the buyer has no email address).
 */
export async function sendTicketMail(deps: ActivityDeps, input: TicketMailInput): Promise<'sent' | 'already' | 'skipped'> {
  return asOnlyAttempt(deps, input.clientId, `ticket-mail:${input.orderId}:${input.kind}`, () => sendTicketMailOnce(deps, input));
}

async function sendTicketMailOnce(deps: ActivityDeps, input: TicketMailInput): Promise<'sent' | 'already' | 'skipped'> {
  const claim = await withClient(deps.orm.em, input.clientId, async (em) => {
    const [fresh] = await em.execute<{ send_key: string }[]>(
      'insert into ticket_mails (client_id, order_id, kind) values (?, ?, ?) on conflict do nothing returning send_key',
      [input.clientId, input.orderId, input.kind]);
    const [row] = await em.execute<{ send_key: string; status: string }[]>(
      'select send_key, status from ticket_mails where order_id = ? and kind = ?', [input.orderId, input.kind]);
    return { ...row, retried: !fresh };
  });
  if (claim.status !== 'pending') return 'already';
  const facts = await withClient(deps.orm.em, input.clientId, (em) => loadFacts(em, input));
  if (!facts.email) {
    await settle(deps, input, 'skipped', null);
    return 'skipped';
  }
  if (claim.retried) {
    const accepted = await acceptedRecipients(deps.sendgrid.client, claim.send_key).catch((error: unknown) => { throw providerFailure(error); });
    if (accepted.has(facts.email.toLowerCase())) {
      await settle(deps, input, 'sent', accepted.get(facts.email.toLowerCase()) ?? null);
      return 'already';
    }
  }
  const money = (minor: number) => `${toDecimalString(minor, facts.currency)} ${facts.currency.toUpperCase()}`;
  const data = {
    ...facts, total: money(input.kind === 'cancellation' ? facts.tickets.reduce((sum, ticket) => sum + ticket.price, 0) : facts.amountTotal), startsAt: new Date(facts.startsAt).toUTCString(),
    tickets: facts.tickets.map((ticket) => ({ ...ticket, price: money(ticket.price) })),
  };
  const template = compiled[input.kind];
  const subject = template.subject(data);
  const built = buildMailRequest({
    from: { email: facts.fromEmail ?? deps.from, name: facts.fromName }, replyTo: facts.replyTo, subject, fallbackSubject: subject,
    html: template.html(data), text: template.text(data),
    customArgs: { client_id: input.clientId, ticket_order_id: input.orderId, mail_kind: input.kind, send_key: claim.send_key },
    headers: {}, asmGroupId: null, categories: ['transactional', `ticket-${input.kind.replace('_', '-')}`],
    recipients: [{ email: facts.email, name: facts.name, subject, substitutions: {}, customArgs: {}, headers: {} }],
  });
  if (!built.body) {
    await settle(deps, input, 'skipped', null);
    return 'skipped';
  }
  try {
    const [response] = await sendMail(deps.sendgrid, Context.current().cancellationSignal, built.body);
    await settle(deps, input, 'sent', String(response.headers['x-message-id'] ?? '') || null);
    return 'sent';
  } catch (error) {
    throw providerFailure(error);
  }
}

function settle(deps: ActivityDeps, input: TicketMailInput, status: 'sent' | 'skipped', messageId: string | null) {
  return withClient(deps.orm.em, input.clientId, (em) => em.execute(
    `update ticket_mails set status = ?, sendgrid_message_id = ?, sent_at = case when ? = 'sent' then now() end
      where order_id = ? and kind = ? and status = 'pending'`, [status, messageId, status, input.orderId, input.kind]));
}

async function loadFacts(em: EntityManager, input: TicketMailInput): Promise<MailFacts> {
  const [order] = await em.execute<{
    email: string | null; name: string | null; event_name: string; starts_at: Date; venue: string | null; reason: string | null; currency: string;
    amount_total: number; from_email: string | null; from_name: string | null; reply_to: string | null;
  }[]>(
    `select d.email, nullif(btrim(concat_ws(' ', d.first_name, d.last_name)), '') as name, e.name as event_name, e.starts_at, e.venue,
            e.cancellation_reason as reason, o.currency, o.amount_total,
            nullif(btrim(c.sender_from_email), '') as from_email, nullif(btrim(c.sender_from_name), '') as from_name, nullif(btrim(c.sender_reply_to), '') as reply_to
       from ticket_orders o join events e on e.id = o.event_id join clients c on c.id = o.client_id left join donors d on d.id = o.donor_id
      where o.id = ?`, [input.orderId]);
  // A cancellation is sent once per buyer and lists every ticket of theirs that was paid for, over all their orders of the event.
  const tickets = await em.execute<{ number: string; type: string; code: string; price: number }[]>(
    input.kind === 'cancellation'
      ? `select t.ticket_number as number, coalesce(y.name, 'Ticket') as type, t.check_in_code as code, t.unit_amount as price
           from event_tickets t left join ticket_types y on y.id = t.ticket_type_id join ticket_orders o on o.id = ?
          where t.event_id = o.event_id and t.donor_id is not distinct from o.donor_id and t.payment_id is not null order by t.ticket_number`
      : `select t.ticket_number as number, coalesce(y.name, 'Ticket') as type, t.check_in_code as code, t.unit_amount as price
           from event_tickets t left join ticket_types y on y.id = t.ticket_type_id where t.order_id = ? order by t.ticket_number`,
    [input.orderId]);
  return {
    email: order.email, name: order.name, eventName: order.event_name, startsAt: new Date(order.starts_at).toISOString(), venue: order.venue,
    reason: order.reason, currency: order.currency, amountTotal: order.amount_total, fromEmail: order.from_email, fromName: order.from_name,
    replyTo: order.reply_to, tickets,
  };
}
