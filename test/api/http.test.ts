import { startMetricsServer } from '../../domain/telemetry/metrics-server';
import { metricsRegistry } from '../../domain/telemetry/registry';
import { type ApiHarness, type Response, send, startApi } from './support';

/** The HTTP surface every operation shares: problem+json errors, authentication, rate limits, docs, metrics. */
describe('API surface', () => {
  let api: ApiHarness;
  beforeAll(async () => { api = await startApi(); });
  afterAll(async () => { await api.close(); });

  const expectProblem = (response: Response, status: number, field?: string) => {
    expect(response.statusCode).toBe(status);
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    const problem = response.json() as { type: string; title: string; status: number; detail: string; instance: string; errors?: { field: string }[] };
    expect(problem).toMatchObject({ status, type: expect.any(String), title: expect.any(String), detail: expect.any(String), instance: expect.any(String) });
    if (field) {
      expect(problem.errors?.map((error) => error.field)).toContain(field);
      expect(problem.detail).toContain(field);
    }
    return problem;
  };

  it('answers liveness and readiness without a key', async () => {
    expect((await api.request({ url: '/health' })).json()).toEqual({ status: 'ok' });
    const ready = await api.request({ url: '/ready' });
    expect(ready.statusCode).toBe(200);
    expect(ready.json()).toEqual({ status: 'ready', checks: { database: { ok: true }, temporal: { ok: true } } });
  });

  it('answers unknown routes with a 404 problem', async () => {
    expectProblem(await api.request({ url: '/v2/nothing?x=1' }), 404);
    expect((await api.request({ method: 'DELETE', url: '/health' })).headers['content-type']).toMatch(/problem\+json/);
  });

  it('refuses missing, malformed, unknown and revoked keys with 401', async () => {
    expectProblem(await api.request({ url: '/v1/clients' }), 401, 'header.authorization');
    expectProblem(await api.request({ url: '/v1/clients', headers: { authorization: 'Basic abc' } }), 401, 'header.authorization');
    expectProblem(await api.call('t15_not-a-key', { url: '/v1/clients' }), 401);

    const issued = await api.call(api.operatorKey, { method: 'POST', url: '/v1/operator-keys', payload: { name: 'temporary' } });
    expect(issued.statusCode).toBe(201);
    const { id, key } = issued.json();
    expect((await api.call(key, { url: '/v1/clients' })).statusCode).toBe(200);
    const [stored] = await api.fixtures.query<{ key_hash: string }>('select key_hash from api_keys where id = $1', [id]);
    expect(stored.key_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(stored.key_hash).not.toContain(key);
    expect((await api.call(api.operatorKey, { method: 'DELETE', url: `/v1/operator-keys/${id}` })).json().revoked_at).toEqual(expect.any(String));
    expectProblem(await api.call(key, { url: '/v1/clients' }), 401);
  });

  it('names the field for malformed JSON, wrong content types, oversized bodies and invalid values', async () => {
    const post = (payload: string, contentType: string) =>
      api.call(api.operatorKey, { method: 'POST', url: '/v1/clients', payload, headers: { 'content-type': contentType } });
    expectProblem(await post('{"name":', 'application/json'), 400, 'body');
    expectProblem(await post('', 'application/json'), 400, 'body');
    expectProblem(await post('name=x', 'application/x-www-form-urlencoded'), 415, 'header.content-type');
    expectProblem(await post('name', 'text/plain'), 415, 'header.content-type');
    expectProblem(await post(JSON.stringify({ name: 'x'.repeat(2 * 1024 * 1024) }), 'application/json'), 413, 'body');
    expectProblem(await post(JSON.stringify({ name: 42 }), 'application/json'), 400, 'body.name');
    expectProblem(await api.call(api.operatorKey, { url: '/v1/clients?limit=0' }), 400, 'query.limit');
    expectProblem(await api.call(api.operatorKey, { url: '/v1/clients/not-a-uuid' }), 400, 'params.clientId');
  });

  it('keeps operator operations from client keys (403) and other clients from each other (404)', async () => {
    const a = await api.client('A');
    const b = await api.client('B');
    expectProblem(await api.call(a.key, { url: '/v1/clients' }), 403);
    expectProblem(await api.call(a.key, { method: 'POST', url: '/v1/clients', payload: { name: 'x' } }), 403);
    expect((await api.call(a.key, { url: `/v1/clients/${a.id}` })).json().name).toBe('A');
    expectProblem(await api.call(a.key, { url: `/v1/clients/${b.id}` }), 404);
    expect((await api.call(api.operatorKey, { url: `/v1/clients/${b.id}` })).json().name).toBe('B');
    expectProblem(await api.call(api.operatorKey, { url: '/v1/clients/00000000-0000-4000-8000-000000000000' }), 404);
  });

  it('issues client keys shown once, lists them without secrets, and revokes them', async () => {
    const a = await api.client('Keys');
    const issued = await api.call(api.operatorKey, { method: 'POST', url: `/v1/clients/${a.id}/api-keys`, payload: { name: 'crm sync' } });
    expect(issued.statusCode).toBe(201);
    const { key, id } = issued.json();
    expect(key).toMatch(/^t15_/);
    const listed = await api.call(key, { url: `/v1/clients/${a.id}/api-keys` });
    expect(listed.json().items).toHaveLength(2);
    expect(listed.body).not.toContain(key);
    expect(listed.body).not.toContain('key_hash');
    expect((await api.call(key, { method: 'DELETE', url: `/v1/clients/${a.id}/api-keys/${id}` })).statusCode).toBe(200);
    expectProblem(await api.call(key, { url: `/v1/clients/${a.id}` }), 401);
  });

  it('creates clients with a unique activation token', async () => {
    const created = await Promise.all(Array.from({ length: 5 }, (_, i) =>
      api.call(api.operatorKey, { method: 'POST', url: '/v1/clients', payload: { name: `New ${i}` } })));
    const tokens = created.map((response) => response.json().activation_token as string);
    tokens.forEach((token) => expect(token).toMatch(/^G\d{4}$/));
    expect(new Set(tokens).size).toBe(5);
  });

  it('documents every operation in OpenAPI 3.1 with a summary, schemas and problem responses', async () => {
    const doc = (await api.request({ url: '/docs/json' })).json();
    expect(doc.openapi).toBe('3.1.0');
    const operations = Object.entries<Record<string, { summary?: string; responses: Record<string, { content?: Record<string, unknown> }>; requestBody?: unknown }>>(doc.paths)
      .flatMap(([path, methods]) => Object.entries(methods).map(([method, operation]) => ({ path, method, operation })));
    expect(operations.length).toBeGreaterThanOrEqual(30);
    for (const { path, method, operation } of operations) {
      expect(`${method} ${path}: ${operation.summary ?? ''}`).toMatch(/: \S/);
      const statuses = Object.keys(operation.responses);
      expect(statuses.some((status) => status.startsWith('2'))).toBe(true);
      if (path.startsWith('/v1')) {
        expect([method, path, statuses]).toEqual([method, path, expect.arrayContaining(['400', '401', '429', '500'])]);
        expect(operation.responses['400'].content).toHaveProperty(['application/problem+json']);
      }
      if (['post', 'put', 'patch'].includes(method) && !/\/(activate|resume|restore|erase|make-current|refund|roll-secret)$/.test(path)) expect(operation.requestBody).toBeDefined();
    }
  });

  it('counts requests and latencies by route, served on the metrics address and not on the public one', async () => {
    await api.request({ url: '/health' });
    expect((await api.request({ url: '/metrics' })).statusCode).toBe(404);
    const server = await startMetricsServer({ host: '127.0.0.1', port: 0, exposition: () => metricsRegistry.metrics() });
    const metrics = await send(server.url, { url: '/metrics' }).finally(() => server.close());
    expect(metrics.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(metrics.body).toMatch(/^http_requests_total\{method="GET",route="\/health",status="200"\} \d+$/m);
    expect(metrics.body).toMatch(/^http_request_duration_seconds_bucket\{le="\+Inf",method="GET",route="\/v1\/clients",status="401"\} \d+$/m);
    expect(metrics.body).toMatch(/^http_requests_total\{method="GET",route="unmatched",status="404"\} \d+$/m);
  });
});

describe('rate limiting', () => {
  let api: ApiHarness;
  beforeAll(async () => { api = await startApi({ rateLimit: { max: 3, timeWindowMs: 60_000 } }); });
  afterAll(async () => { await api.close(); });

  it('limits each key on its own and answers 429 with Retry-After', async () => {
    const other = await api.client('Other');
    for (let i = 0; i < 3; i++) expect((await api.call(api.operatorKey, { url: '/v1/clients' })).statusCode).toBe(200);
    const limited = await api.call(api.operatorKey, { url: '/v1/clients' });
    expect(limited.statusCode).toBe(429);
    expect(limited.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    expect((await api.call(other.key, { url: `/v1/clients/${other.id}` })).statusCode).toBe(200);
  });
});
