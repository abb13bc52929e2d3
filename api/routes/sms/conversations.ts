import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { AUTHENTICATED_ERRORS, ClientParams, pageOf, problems } from '../../schemas/common';
import { ConversationPage, ConversationParams, ConversationQuery, MessagePage, MessageQuery } from '../../schemas/conversations';
import { listConversations, listMessages } from '../../services/sms/conversations';

const tags = ['conversations'];

/** Seed 001's SMS threads, read through the API (issue 18 item 3): every list pages as the others do. */
const conversationRoutes: FastifyPluginAsyncZod = async (app) => {
  app.get('/clients/:clientId/conversations', {
    schema: {
      summary: 'List SMS conversations, the most recent message first, optionally of one donor', tags,
      params: ClientParams, querystring: ConversationQuery,
      response: { 200: ConversationPage, ...problems(...AUTHENTICATED_ERRORS, 404) },
    },
  }, async (request) => pageOf(await request.inClient(request.params.clientId, (em) => listConversations(em, request.query)), request.query));

  app.get('/clients/:clientId/conversations/:conversationId/messages', {
    schema: {
      summary: 'List a conversation\'s messages, oldest first: inbound texts, campaign texts and confirmations, with each outbound text\'s status', tags,
      params: ConversationParams, querystring: MessageQuery,
      response: { 200: MessagePage, ...problems(...AUTHENTICATED_ERRORS, 404) },
    },
  }, async (request) => pageOf(
    await request.inClient(request.params.clientId, (em) => listMessages(em, request.params.conversationId, request.query)), request.query));
};

export default conversationRoutes;
