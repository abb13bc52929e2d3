import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { choice, problems } from '../schemas/common';

const READINESS_TIMEOUT_MS = 2_000;

const Check = z.object({ ok: z.boolean(), detail: z.string().optional() });
const Readiness = z.object({
  status: choice({ ready: 'PostgreSQL and Temporal answer: the API can serve', unavailable: 'a dependency does not answer; checks says which' }, 'Whether the API can do its work'),
  checks: z.object({ database: Check, temporal: Check }),
});

/** Resolves to a failed check instead of hanging when a dependency does not answer. */
async function check(run: () => Promise<unknown>): Promise<z.infer<typeof Check>> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error(`no answer in ${READINESS_TIMEOUT_MS} ms`)), READINESS_TIMEOUT_MS); });
  try {
    await Promise.race([run(), timeout]);
    return { ok: true };
  } catch (error) {
    return { ok: false, detail: error instanceof Error ? error.message : String(error) };
  } finally {
    clearTimeout(timer);
  }
}

/** Liveness says the process answers; readiness says it can do its work (database and Temporal reachable). */
const healthRoutes: FastifyPluginAsyncZod = async (app) => {
  app.get('/health', {
    schema: { summary: 'Liveness: the process answers', tags: ['operations'], security: [], response: { 200: z.object({ status: z.literal('ok') }) } },
  }, async () => ({ status: 'ok' as const }));

  app.get('/ready', {
    schema: {
      summary: 'Readiness: PostgreSQL and Temporal are reachable',
      tags: ['operations'],
      security: [],
      response: { 200: Readiness, 503: Readiness.describe('A dependency is unreachable'), ...problems(500) },
    },
  }, async (_request, reply) => {
    const [database, temporal] = await Promise.all([
      check(async () => {
        const result = await app.orm.checkConnection();
        if (!result.ok) throw new Error(result.reason ?? 'database unreachable');
      }),
      check(() => app.temporal.connection.withDeadline(Date.now() + READINESS_TIMEOUT_MS, () => app.temporal.workflowService.getSystemInfo({}))),
    ]);
    const ready = database.ok && temporal.ok;
    return reply.code(ready ? 200 : 503).send({ status: ready ? 'ready' : 'unavailable', checks: { database, temporal } });
  });
};

export default healthRoutes;
