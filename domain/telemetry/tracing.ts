import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { Resource } from '@opentelemetry/resources';
import { BatchSpanProcessor, NoopSpanProcessor, SimpleSpanProcessor, type SpanExporter, type SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions';
import type { ClientInterceptors } from '@temporalio/client';
import { OpenTelemetryWorkflowClientInterceptor } from '@temporalio/interceptors-opentelemetry';

/** What the worker hands Temporal's workflow span sink (spans made inside the sandbox leave through it). */
export interface Tracing {
  resource: Resource;
  spanProcessor: SpanProcessor;
  /** Exports what is buffered, then stops. */
  shutdown(): Promise<void>;
}

const OFF: Tracing = { resource: Resource.empty(), spanProcessor: new NoopSpanProcessor(), shutdown: async () => {} };
let installed: Tracing = OFF;

/**
 * Installs the process's OpenTelemetry tracer provider (W3C trace context, async-local context), once,
 * at start-up. Spans go to `exporter` when given (tests: an in-memory one), else over OTLP/HTTP to
 * `otlpEndpoint` (OTEL_EXPORTER_OTLP_ENDPOINT, to which `/v1/traces` is added as the OpenTelemetry
 * specification says); with neither, tracing stays off and costs nothing.
 * Spans: the API request (api/plugins/tracing.ts), Temporal's client, workflow and activity spans
 * (workflows/worker.ts, @temporalio/interceptors-opentelemetry), and provider HTTP calls
 * (provider-calls.ts), linked parent to child.
 */
export function startTracing(serviceName: string, options: { otlpEndpoint?: string; exporter?: SpanExporter }): Tracing {
  const exporter = options.exporter
    ?? (options.otlpEndpoint ? new OTLPTraceExporter({ url: `${options.otlpEndpoint.replace(/\/+$/, '')}/v1/traces` }) : null);
  if (!exporter) return installed;
  const resource = new Resource({ [ATTR_SERVICE_NAME]: serviceName });
  // Tests read spans as soon as they end; production batches them off the request path.
  const spanProcessor = options.exporter ? new SimpleSpanProcessor(exporter) : new BatchSpanProcessor(exporter);
  const provider = new NodeTracerProvider({ resource, spanProcessors: [spanProcessor] });
  provider.register();
  installed = { resource, spanProcessor, shutdown: () => provider.shutdown() };
  return installed;
}

/** The tracing startTracing installed, or tracing switched off. */
export function currentTracing(): Tracing {
  return installed;
}

/**
 * For every Temporal Client that starts, signals, updates or queries workflows: a span per call, whose
 * context rides in the Temporal headers so the workflow's spans continue the caller's trace.
 */
export const TRACING_CLIENT_INTERCEPTORS: ClientInterceptors = { workflow: [new OpenTelemetryWorkflowClientInterceptor()] };
