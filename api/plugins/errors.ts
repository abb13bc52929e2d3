import type { FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { toProblem } from '../errors';
import { Problem } from '../problem';

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

export function sendProblem(request: FastifyRequest, reply: FastifyReply, problem: Problem): FastifyReply {
  return reply.code(problem.status).headers(problem.headers).type(PROBLEM_CONTENT_TYPE).send({
    type: problem.type,
    title: problem.title,
    status: problem.status,
    detail: problem.detail,
    instance: request.url,
    request_id: request.id,
    ...problem.extensions,
  });
}

/** One error handler and one not-found handler for the whole app: every failure leaves as problem+json. */
export default fp(async (app) => {
  app.setErrorHandler((error, request, reply) => {
    const problem = toProblem(error);
    if (problem.status === 503) request.log.warn({ err: error }, 'dependency unavailable');
    else if (problem.status >= 500) request.log.error({ err: error }, 'request failed');
    return sendProblem(request, reply, problem);
  });
  app.setNotFoundHandler((request, reply) =>
    sendProblem(request, reply, new Problem(404, 'Not Found', `there is no operation ${request.method} ${request.url.split('?')[0]}`)));
}, { name: 'errors' });
