import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { AUTHENTICATED_ERRORS, BODY_ERRORS, ClientParams, PageQuery, pageOf, problems } from '../../schemas/common';
import {
  Event, EventCancel, EventCreate, EventPage, EventParams, EventQuery, EventSummary, EventUpdate, TicketType, TicketTypeCreate, TicketTypePage,
  TicketTypeParams, TicketTypeUpdate,
} from '../../schemas/events/events';
import {
  CancelResult, CheckIn, CheckInResult, Order, OrderCreate, OrderParams, RefundResult, TicketPage, TicketParams, TicketQuery,
} from '../../schemas/events/tickets';
import { cancelEvent, refundOneTicket } from '../../services/events/cancellation';
import {
  createEvent, createTicketType, eventSummary, getEvent, listEvents, listTicketTypes, updateEvent, updateTicketType,
} from '../../services/events/events';
import { getOrder, purchaseTickets } from '../../services/events/ticket-orders';
import { checkInTicket, getTicket, listTickets } from '../../services/events/tickets';

export interface EventRoutesOptions {
  /** How long an order holds its tickets for payment, in seconds (TICKET_HOLD_SECONDS). */
  holdSeconds: number;
}

const tags = ['events'];

/**
 * Seed 002 (US-01.2) / issue 17: a client's events, their ticket types and sales, purchases held by a
 * Temporal workflow until Stripe confirms payment, check-in at the door, refunds and cancellation.
 */
const eventRoutes: FastifyPluginAsyncZod<EventRoutesOptions> = async (app, options) => {
  app.post('/clients/:clientId/events', {
    schema: {
      summary: 'Create an event (draft, or published: on sale)', tags,
      params: ClientParams, body: EventCreate, response: { 201: Event, ...problems(...BODY_ERRORS, 404) },
    },
  }, async (request, reply) => {
    const { clientId } = request.params;
    const row = await request.inClient(clientId, (em) => createEvent(em, clientId, request.body));
    void reply.header('location', `/v1/clients/${clientId}/events/${row.id}`);
    return reply.code(201).send(row);
  });

  app.get('/clients/:clientId/events', {
    schema: {
      summary: 'List events, soonest first, optionally by status', tags,
      params: ClientParams, querystring: EventQuery, response: { 200: EventPage, ...problems(...AUTHENTICATED_ERRORS, 404) },
    },
  }, async (request) => pageOf(await request.inClient(request.params.clientId, (em) => listEvents(em, request.query)), request.query));

  app.get('/clients/:clientId/events/:eventId', {
    schema: { summary: 'Get an event', tags, params: EventParams, response: { 200: Event, ...problems(...AUTHENTICATED_ERRORS, 404) } },
  }, (request) => request.inClient(request.params.clientId, (em) => getEvent(em, request.params.eventId)));

  app.patch('/clients/:clientId/events/:eventId', {
    schema: {
      summary: 'Change an event (only the fields named); a cancelled event cannot change (409)', tags,
      params: EventParams, body: EventUpdate, response: { 200: Event, ...problems(...BODY_ERRORS, 404, 409) },
    },
  }, (request) => request.inClient(request.params.clientId, (em) => updateEvent(em, request.params.eventId, request.body)));

  app.post('/clients/:clientId/events/:eventId/cancel', {
    schema: {
      summary: 'Cancel the event: sales stop at once; a workflow releases unpaid orders, refunds every paid ticket through Stripe and emails each buyer once (202; calling again starts nothing new)', tags,
      params: EventParams, body: EventCancel, response: { 202: CancelResult, ...problems(...BODY_ERRORS, 404, 503) },
    },
  }, async (request, reply) => {
    const { clientId, eventId } = request.params;
    const cancelled = await cancelEvent(
      { inClient: (work) => request.inClient(clientId, work), temporal: app.temporal, taskQueue: app.lifecycle.taskQueue }, clientId, eventId, request.body.reason);
    return reply.code(202).send(cancelled);
  });

  app.get('/clients/:clientId/events/:eventId/summary', {
    schema: {
      summary: 'Sales per ticket type: sold, held, remaining, checked in, refunded and revenue (major and minor units of the type\'s currency)', tags,
      params: EventParams, response: { 200: EventSummary, ...problems(...AUTHENTICATED_ERRORS, 404) },
    },
  }, (request) => request.inClient(request.params.clientId, (em) => eventSummary(em, request.params.eventId)));

  app.post('/clients/:clientId/events/:eventId/ticket-types', {
    schema: {
      summary: 'Add a ticket type: price and currency, capacity, sales window, per-order limit, and the part of the price that is a gift', tags,
      params: EventParams, body: TicketTypeCreate, response: { 201: TicketType, ...problems(...BODY_ERRORS, 404, 409) },
    },
  }, async (request, reply) => {
    const { clientId, eventId } = request.params;
    return reply.code(201).send(await request.inClient(clientId, (em) => createTicketType(em, clientId, eventId, request.body)));
  });

  app.get('/clients/:clientId/events/:eventId/ticket-types', {
    schema: {
      summary: 'List the event\'s ticket types, oldest first, with what is held, sold and remaining', tags,
      params: EventParams, querystring: PageQuery, response: { 200: TicketTypePage, ...problems(...AUTHENTICATED_ERRORS, 404) },
    },
  }, async (request) => pageOf(await request.inClient(request.params.clientId, (em) => listTicketTypes(em, request.params.eventId, request.query)), request.query));

  app.patch('/clients/:clientId/events/:eventId/ticket-types/:ticketTypeId', {
    schema: {
      summary: 'Change a ticket type (only the fields named); tickets already bought keep their price; capacity never below what is held and sold (409)', tags,
      params: TicketTypeParams, body: TicketTypeUpdate, response: { 200: TicketType, ...problems(...BODY_ERRORS, 404, 409) },
    },
  }, (request) => request.inClient(request.params.clientId,
    (em) => updateTicketType(em, request.params.eventId, request.params.ticketTypeId, request.body)));

  app.post('/clients/:clientId/events/:eventId/orders', {
    schema: {
      summary: 'Buy tickets for a donor (or a new buyer by name and email), once per idempotency_key (a repeat answers 200 with the same order; the key with a different purchase, 409): reserved at once and held for TICKET_HOLD_SECONDS (15 minutes by default) while the buyer pays at checkout_url (Stripe Checkout), released if unpaid; 409 "sold out" when the seats are gone', tags,
      params: EventParams, body: OrderCreate, response: { 201: Order, 200: Order, ...problems(...BODY_ERRORS, 404, 409, 502, 503) },
    },
  }, async (request, reply) => {
    const { clientId, eventId } = request.params;
    const { order, replayed } = await purchaseTickets({
      inClient: (work) => request.inClient(clientId, work), temporal: app.temporal, taskQueue: app.lifecycle.taskQueue, stripe: app.stripe,
      holdSeconds: options.holdSeconds,
    }, clientId, eventId, request.body);
    void reply.header('location', `/v1/clients/${clientId}/ticket-orders/${order.id}`);
    return reply.code(replayed ? 200 : 201).send(order);
  });

  app.get('/clients/:clientId/ticket-orders/:orderId', {
    schema: { summary: 'Get a ticket order with its tickets', tags, params: OrderParams, response: { 200: Order, ...problems(...AUTHENTICATED_ERRORS, 404) } },
  }, (request) => request.inClient(request.params.clientId, (em) => getOrder(em, request.params.orderId)));

  app.get('/clients/:clientId/events/:eventId/tickets', {
    schema: {
      summary: 'List the event\'s tickets by number, optionally by status', tags,
      params: EventParams, querystring: TicketQuery, response: { 200: TicketPage, ...problems(...AUTHENTICATED_ERRORS, 404) },
    },
  }, async (request) => pageOf(await request.inClient(request.params.clientId, (em) => listTickets(em, request.params.eventId, request.query)), request.query));

  app.post('/clients/:clientId/tickets/check-in', {
    schema: {
      summary: 'Check a ticket in by its number or check-in code, as the calling key; a second scan changes nothing and says when and by whom; 409 with the reason for a ticket not valid for entry', tags,
      params: ClientParams, body: CheckIn, response: { 200: CheckInResult, ...problems(...BODY_ERRORS, 404, 409) },
    },
  }, (request) => request.inClient(request.params.clientId, (em) => checkInTicket(em, request.principal.keyId, request.body)));

  app.post('/clients/:clientId/tickets/:ticketId/refund', {
    schema: {
      summary: 'Refund a paid ticket through Stripe (once, whatever the retries); it becomes refunded when Stripe\'s charge.refunded arrives (202)', tags,
      params: TicketParams, response: { 202: RefundResult, ...problems(...AUTHENTICATED_ERRORS, 404, 409, 502) },
    },
  }, async (request, reply) => {
    const { clientId, ticketId } = request.params;
    await request.inClient(clientId, (em) => getTicket(em, ticketId));
    const refundId = await refundOneTicket({ orm: app.orm, stripe: app.stripe }, clientId, ticketId);
    return reply.code(202).send({ ticket: await request.inClient(clientId, (em) => getTicket(em, ticketId)), refund_id: refundId });
  });
};

export default eventRoutes;
