import type { ApiHarness } from './support';

export interface JsonSchema {
  type?: string | string[];
  enum?: unknown[];
  format?: string;
  pattern?: string;
  properties?: Record<string, JsonSchema>;
  additionalProperties?: JsonSchema | boolean;
  propertyNames?: JsonSchema;
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

/** Where a string sits in a JSON body: the path to it, and whether it is the key of a free-form record or a value. */
export interface StringSite {
  path: (string | number)[];
  /** `key`: the string is the last path element itself (a metadata key). */
  kind: 'value' | 'key';
  /** Free text (no enum, format or pattern), which only the text rule can refuse. */
  free: boolean;
}

/**
 * Every place a JSON body following `schema` can hold a string, at any depth: properties, array items,
 * record keys and values (free-form values count as strings). Nullable fields are followed; real unions
 * (a body that is one of several shapes) are validated as a whole and left out.
 */
export function stringSites(schema: JsonSchema, path: (string | number)[] = []): StringSite[] {
  const alternatives = (schema.anyOf ?? schema.oneOf)?.filter((s) => s.type !== 'null');
  if (alternatives) return alternatives.length === 1 ? stringSites(alternatives[0], path) : [];
  if (!schema.type && !schema.enum) return [{ path, kind: 'value', free: true }];
  if (schema.type === 'string' || schema.enum) return [{ path, kind: 'value', free: !schema.enum && !schema.format && !schema.pattern }];
  if (schema.type === 'array' && schema.items) return stringSites(schema.items, [...path, 0]);
  if (schema.type !== 'object') return [];
  const sites = Object.entries(schema.properties ?? {}).flatMap(([name, property]) => stringSites(property, [...path, name]));
  const values = schema.additionalProperties;
  if (typeof values === 'object') {
    const keys = schema.propertyNames?.enum as string[] | undefined;
    if (!keys) sites.push({ path: [...path, 'key'], kind: 'key', free: true });
    sites.push(...stringSites(values, [...path, keys?.[0] ?? 'key']));
  }
  return sites;
}

/** A JSON value holding `leaf` at `path` (arrays for numeric steps, objects otherwise). */
export function nestAt(path: (string | number)[], leaf: unknown): unknown {
  return path.reduceRight<unknown>((inner, step) => (typeof step === 'number' ? [inner] : { [step]: inner }), leaf);
}
