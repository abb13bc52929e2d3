import type { ApiHarness } from './support';

export interface JsonSchema {
  type?: string | string[];
  enum?: unknown[];
  format?: string;
  properties?: Record<string, JsonSchema>;
  items?: JsonSchema;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  minimum?: number;
  maximum?: number;
}

export interface Parameter { name: string; in: 'path' | 'query'; schema: JsonSchema; required?: boolean }

export interface Operation {
  method: string;
  /** OpenAPI template, e.g. /v1/clients/{clientId}/donors */
  path: string;
  parameters: Parameter[];
  /** JSON request body schema, when the operation takes one. */
  body?: JsonSchema;
  key: string;
}

/** Every operation the API documents: the tests walk this list, so a new route is covered the day it is added. */
export async function documentedOperations(api: ApiHarness): Promise<Operation[]> {
  const doc = (await api.request({ url: '/docs/json' })).json();
  const operations: Operation[] = [];
  for (const [path, methods] of Object.entries<Record<string, { parameters?: Parameter[]; requestBody?: { content: Record<string, { schema: JsonSchema }> } }>>(doc.paths)) {
    for (const [method, operation] of Object.entries(methods)) {
      operations.push({
        method: method.toUpperCase(),
        path,
        parameters: operation.parameters ?? [],
        body: operation.requestBody?.content['application/json']?.schema,
        key: `${method.toUpperCase()} ${path}`,
      });
    }
  }
  return operations;
}

export function fillPath(path: string, values: Record<string, string>): string {
  return path.replace(/\{(\w+)\}/g, (_, name: string) => {
    if (!(name in values)) throw new Error(`no value for path parameter ${name} of ${path}`);
    return encodeURIComponent(values[name]);
  });
}

/** The types a schema admits (following anyOf/oneOf), so a generator can pick a value of none of them. */
export function typesOf(schema: JsonSchema): Set<string> {
  const types = new Set<string>();
  const visit = (s: JsonSchema) => {
    if (Array.isArray(s.type)) s.type.forEach((t) => types.add(t));
    else if (s.type) types.add(s.type);
    if (s.type === 'integer') types.add('number');
    [...(s.anyOf ?? []), ...(s.oneOf ?? [])].forEach(visit);
    if (!s.type && !s.anyOf && !s.oneOf) types.add('any');
  };
  visit(schema);
  return types;
}
