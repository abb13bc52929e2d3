import swagger from '@fastify/swagger';
import fp from 'fastify-plugin';
import {
  createJsonSchemaTransform, jsonSchemaTransformObject, serializerCompiler, validatorCompiler,
} from 'fastify-type-provider-zod';
import { bodyIsOptional } from './empty-body';
import { PROBLEM_CONTENT_TYPE } from './errors';

/** Set on an operation by `transform` below, turned into `requestBody.required: false` once the document is built. */
const OPTIONAL_BODY = 'x-optional-body';

type Operation = {
  responses?: Record<string, { content?: Record<string, unknown> }>;
  requestBody?: { required?: boolean };
  [OPTIONAL_BODY]?: boolean;
};
type OpenApiDocument = { paths?: Record<string, unknown>; components?: { schemas?: Record<string, unknown> } };

/**
 * Error responses are documented with the media type they are sent with, and the problem schema
 * appears once: it is only ever output, so the registry's input twin is dropped. A body of only
 * optional fields may be left out (plugins/empty-body.ts), which @fastify/swagger cannot say by itself.
 */
function finishDocument<T extends object>(transformed: T): T {
  const document = transformed as OpenApiDocument;
  for (const operations of Object.values(document.paths ?? {})) {
    for (const operation of Object.values(operations as Record<string, Operation>)) {
      if (operation[OPTIONAL_BODY] && operation.requestBody) operation.requestBody.required = false;
      delete operation[OPTIONAL_BODY];
      for (const [status, response] of Object.entries(operation.responses ?? {})) {
        const json = response.content?.['application/json'];
        if (Number(status) >= 400 && json) response.content = { [PROBLEM_CONTENT_TYPE]: json };
      }
    }
  }
  delete document.components?.schemas?.ProblemInput;
  return transformed;
}

export interface OpenApiOptions {
  /**
   * Serve the browsable UI at /docs (with the document at /docs/json), or only the document. The UI's
   * static file server depends on an ESM-only package that jest's CommonJS loader cannot require, so
   * it is loaded only when asked for; Node itself loads it fine.
   */
  ui: boolean;
}

/**
 * zod is the single source of the request and response shapes: it validates requests, serializes
 * responses (dropping any column a schema does not name) and generates the OpenAPI 3.1 document
 * served at /docs/json and browsable at /docs.
 */
const zodTransform = createJsonSchemaTransform({ skipList: ['/docs', '/docs/', '/docs/json', '/docs/yaml', '/docs/static/*', '/docs/*', '/docs/uiConfig', '/docs/initOAuth'] });

export default fp<OpenApiOptions>(async (app, options) => {
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Track15 campaign orchestration API',
        version: '1.0.0',
        description: 'Clients, donors, donations and Track15 campaigns. Every error is RFC 9457 application/problem+json.',
      },
      components: {
        securitySchemes: { apiKey: { type: 'http', scheme: 'bearer', description: 'An API key: operator keys act across clients, client keys inside their client' } },
      },
      security: [{ apiKey: [] }],
      tags: [
        { name: 'clients', description: 'Clients (tenants) and their API keys' },
        { name: 'donors', description: 'Donors, imports, notification preferences, RFM' },
        { name: 'journeys', description: 'Donor journeys: lifecycle stages, their transitions, first-gift attribution and analytics (seed 001)' },
        { name: 'donations', description: 'Gifts, and the online payments (Stripe) that record them' },
        { name: 'campaigns', description: 'Campaigns and their Track15 narrative' },
        { name: 'lifecycle', description: 'Activate, pause, resume, stop and watch a Track15 campaign workflow' },
        { name: 'operations', description: 'Health, readiness and metrics' },
      ],
    },
    transform: (input) => {
      const output = zodTransform(input);
      // Only the /v1 operations take no body for {} (empty-body is registered there); public pages read their forms themselves.
      return input.url.startsWith('/v1/') && bodyIsOptional(input.schema) ? { ...output, schema: { ...output.schema, [OPTIONAL_BODY]: true } } : output;
    },
    transformObject: (input) => finishDocument(jsonSchemaTransformObject(input)),
  });
  if (options.ui) {
    const { default: swaggerUi } = await import('@fastify/swagger-ui');
    await app.register(swaggerUi, { routePrefix: '/docs' });
  } else {
    app.get('/docs/json', { schema: { hide: true } }, async () => app.swagger());
  }
}, { name: 'openapi' });
