/**
 * Checks the test server's responses against GitHub's OpenAPI description (npm
 * `@octokit/openapi`), so the stand-in cannot drift from GitHub's contract. Only the one
 * dereferenced description file is loaded (the whole package would cost ~900 MB).
 *
 * The validator covers the JSON Schema that GitHub's description uses: type (with OpenAPI's
 * `nullable`), required, properties, additionalProperties, items, enum, allOf, anyOf, oneOf,
 * and the `uri` and `date-time` formats. `oneOf` is checked like `anyOf`: GitHub's branches
 * such as "a user, or anything" overlap, so strict exclusivity would reject valid answers.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

/** A JSON Schema node of the description (after dereferencing). */
export interface Schema {
  type?: string;
  nullable?: boolean;
  required?: string[];
  properties?: Record<string, Schema>;
  additionalProperties?: boolean | Schema;
  items?: Schema;
  enum?: unknown[];
  allOf?: Schema[];
  anyOf?: Schema[];
  oneOf?: Schema[];
  format?: string;
}

interface Operation {
  operationId: string;
  responses: Record<string, { content?: Record<string, { schema?: Schema }> }>;
}

/** The parts of the description used here. */
export interface OpenApiDocument {
  paths: Record<string, Record<string, Operation>>;
}

let loaded: OpenApiDocument | undefined;

/** GitHub's dereferenced description of api.github.com (parsed once per process). */
export function gitHubOpenApi(): OpenApiDocument {
  if (!loaded) {
    const file = createRequire(import.meta.url).resolve(
      '@octokit/openapi/generated/api.github.com.deref.json',
    );
    loaded = JSON.parse(readFileSync(file, 'utf8')) as OpenApiDocument;
  }
  return loaded;
}

/** The operation a request hits: its path template and definition, or `undefined`. */
export function findOperation(
  doc: OpenApiDocument,
  method: string,
  path: string,
): { template: string; operation: Operation } | undefined {
  const segments = path.split('/');
  let best: { template: string; operation: Operation; literals: number } | undefined;
  for (const [template, item] of Object.entries(doc.paths)) {
    const operation = item[method.toLowerCase()];
    const parts = template.split('/');
    if (!operation || parts.length > segments.length) continue;
    // A trailing parameter may span several segments (`contents/{path}`, a branch `a/b`).
    const lastIsParam = /^\{[^}]+\}$/.test(parts[parts.length - 1] ?? '');
    if (parts.length < segments.length && !lastIsParam) continue;
    let literals = 0;
    const matches = parts.every((part, i) => {
      if (/^\{[^}]+\}$/.test(part)) return segments[i] !== '';
      if (part === segments[i]) {
        literals += 1;
        return true;
      }
      return false;
    });
    // The most specific template wins (`/git/trees/{sha}` over `/{a}/{b}/{c}`), and on a tie
    // one whose segments line up exactly.
    const score = literals * 2 + (parts.length === segments.length ? 1 : 0);
    if (matches && (!best || score > best.literals))
      best = { template, operation, literals: score };
  }
  return best && { template: best.template, operation: best.operation };
}

/** Every way `value` breaks `schema`, as `$.path: problem` lines (empty when it conforms). */
export function validate(schema: Schema, value: unknown, at = '$'): string[] {
  if (value === null) {
    if (schema.nullable || schema.type === undefined) {
      return schema.enum && !schema.enum.includes(null) && !schema.nullable
        ? [`${at}: null is not one of ${JSON.stringify(schema.enum)}`]
        : [];
    }
    return [`${at}: null where ${schema.type} is required`];
  }
  const errors: string[] = [];
  if (schema.allOf) for (const part of schema.allOf) errors.push(...validate(part, value, at));
  for (const alternatives of [schema.anyOf, schema.oneOf]) {
    if (!alternatives) continue;
    const results = alternatives.map((alternative) => validate(alternative, value, at));
    if (results.every((r) => r.length > 0)) {
      errors.push(
        `${at}: matches none of ${alternatives.length} alternatives (first: ${results[0]?.[0]})`,
      );
    }
  }
  if (schema.enum && !schema.enum.includes(value)) {
    errors.push(`${at}: ${JSON.stringify(value)} is not one of ${JSON.stringify(schema.enum)}`);
  }
  const actual = Array.isArray(value) ? 'array' : typeof value;
  switch (schema.type) {
    case undefined:
      break;
    case 'integer':
      if (!Number.isInteger(value))
        errors.push(`${at}: expected integer, got ${JSON.stringify(value)}`);
      break;
    case 'number':
      if (typeof value !== 'number') errors.push(`${at}: expected number, got ${actual}`);
      break;
    case 'string':
    case 'boolean':
    case 'array':
    case 'object':
      if (actual !== schema.type) errors.push(`${at}: expected ${schema.type}, got ${actual}`);
      break;
    default:
      errors.push(`${at}: unsupported schema type ${schema.type}`);
  }
  if (typeof value === 'string' && schema.format === 'uri' && !URL.canParse(value)) {
    errors.push(`${at}: '${value}' is not a URI`);
  }
  if (
    typeof value === 'string' &&
    schema.format === 'date-time' &&
    !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/.test(value)
  ) {
    errors.push(`${at}: '${value}' is not an RFC 3339 date-time`);
  }
  if (Array.isArray(value) && schema.items) {
    const items = schema.items;
    value.forEach((item, i) => {
      errors.push(...validate(items, item, `${at}[${i}]`));
    });
  }
  if (actual === 'object' && !Array.isArray(value)) {
    const object = value as Record<string, unknown>;
    for (const key of schema.required ?? []) {
      if (!(key in object)) errors.push(`${at}: missing required property '${key}'`);
    }
    for (const [key, child] of Object.entries(object)) {
      const property = schema.properties?.[key];
      if (property) errors.push(...validate(property, child, `${at}.${key}`));
      else if (schema.additionalProperties === false) {
        errors.push(`${at}: property '${key}' is not allowed`);
      } else if (typeof schema.additionalProperties === 'object') {
        errors.push(...validate(schema.additionalProperties, child, `${at}.${key}`));
      }
    }
  }
  return errors;
}

/** The outcome of checking one response. */
export interface ContractCheck {
  /** The matched path template, e.g. `/repos/{owner}/{repo}/compare/{basehead}`. */
  template: string;
  operationId: string;
  errors: string[];
}

/**
 * Checks one response: the operation must exist for `method` + `path`, document `status`, and,
 * when it documents a JSON body, `body` must conform to its schema.
 */
export function checkResponse(
  doc: OpenApiDocument,
  method: string,
  path: string,
  status: number,
  body: unknown,
): ContractCheck {
  const found = findOperation(doc, method, path);
  if (!found)
    return { template: '', operationId: '', errors: [`no operation for ${method} ${path}`] };
  const { template, operation } = found;
  const response = operation.responses[String(status)];
  if (!response) {
    return {
      template,
      operationId: operation.operationId,
      errors: [
        `${method} ${template}: status ${status} is not documented (documented: ${Object.keys(operation.responses).join(', ')})`,
      ],
    };
  }
  const schema = response.content?.['application/json']?.schema;
  return {
    template,
    operationId: operation.operationId,
    errors: schema ? validate(schema, body) : [],
  };
}
