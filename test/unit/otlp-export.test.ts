import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { trace } from '@opentelemetry/api';
import { startTracing } from '../../domain/telemetry/tracing';

/** With OTEL_EXPORTER_OTLP_ENDPOINT set, spans leave over OTLP/HTTP to `<endpoint>/v1/traces`, named for their service. */
describe('OTLP export', () => {
  it('posts the spans to the collector at <endpoint>/v1/traces when the process shuts tracing down', async () => {
    const received: { path: string; type: string; body: Buffer }[] = [];
    const collector = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        received.push({ path: request.url ?? '', type: request.headers['content-type'] ?? '', body: Buffer.concat(chunks) });
        response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    });
    await new Promise<void>((resolve) => collector.listen(0, '127.0.0.1', resolve));
    try {
      const endpoint = `http://127.0.0.1:${(collector.address() as AddressInfo).port}/`;
      const tracing = startTracing('track15-otlp-test', { otlpEndpoint: endpoint });
      trace.getTracer('test').startActiveSpan('exported-span', (span) => span.end());
      await tracing.shutdown();
      expect(received.map((r) => r.path)).toEqual(['/v1/traces']);
      const body = received[0].body.toString('utf8');
      expect(received[0].type).toMatch(/^application\/json/);
      expect(body).toContain('exported-span');
      expect(body).toContain('track15-otlp-test');
    } finally {
      await new Promise((resolve) => collector.close(resolve));
    }
  });
});
