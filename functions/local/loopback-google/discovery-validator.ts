import type { DiscoveryDocument, DiscoveryMethod, DiscoverySchema } from './discovery.ts';
import { listMethods } from './discovery.ts';
import { isRfc3339Date, isRfc3339DateTime } from './time.ts';

/**
 * Validates request bodies, query parameters and responses against a discovery document, the way
 * Google's front end checks them before the Calendar backend sees a request:
 *
 * - objects: every key must be a declared property (or match `additionalProperties`); an unknown
 *   key is rejected ("Invalid JSON payload received. Unknown name ... Cannot find field.");
 * - `$ref` is resolved against `schemas`; arrays check each item;
 * - strings must be JSON strings; `format: date-time` is RFC 3339 (in a body the offset may be
 *   left out, because EventDateTime allows a local time with `timeZone`; the handler enforces the
 *   offset where Google does), `format: date` is yyyy-mm-dd, `format: int64` a decimal integer;
 * - integers (`int32`, `uint32`) are JSON integers in range, or decimal strings as protobuf's
 *   JSON mapping allows; booleans are JSON booleans; `any` accepts anything;
 * - `null` in a request means "clear / default" (patch semantics) and is accepted; a response never
 *   carries `null`;
 * - `annotations.required` lists the methods for which a property must be present ("required");
 * - read-only properties (the document says so only in prose: "Read-only.") are accepted in
 *   requests, type-checked like any other property, and ignored by the server, which is what
 *   Google does; `readOnlyPaths` lists them so the server can drop them generically.
 */

export type IssueReason = 'invalid' | 'required' | 'invalidParameter' | 'parseError';

export interface ValidationIssue {
  readonly reason: IssueReason;
  readonly message: string;
  /** A parameter name or body path, as Google reports it in `errors[].location`. */
  readonly location?: string;
  readonly locationType?: 'parameter' | 'body';
}

export interface BodyValidationOptions {
  /** `request`: what a client sent; `response`: what this server is about to return. */
  readonly mode: 'request' | 'response';
  /** The method id (for example `calendar.events.insert`) whose `annotations.required` apply. */
  readonly methodId?: string;
  /** How the body is named in messages: `resource` for events (Google's wording), '' for freeBusy. */
  readonly rootName?: string;
}

export type ParameterValue = string | number | boolean | string[];

export interface MatchedMethod {
  readonly method: DiscoveryMethod;
  readonly pathParams: Record<string, string>;
}

const INT32 = { min: -2_147_483_648, max: 2_147_483_647 };
const UINT32 = { min: 0, max: 4_294_967_295 };
const MAX_ISSUES = 20;

interface CompiledRoute {
  readonly method: DiscoveryMethod;
  readonly pattern: RegExp;
  readonly names: readonly string[];
  readonly literalLength: number;
}

export class DiscoveryValidator {
  private readonly routes: CompiledRoute[];
  private readonly readOnlyCache = new Map<string, readonly string[]>();

  constructor(readonly doc: DiscoveryDocument) {
    this.routes = listMethods(doc)
      .map((method) => compileRoute(`/${doc.servicePath}${method.path}`, method))
      // A literal segment ("events/import") wins over a template one ("events/{eventId}").
      .sort((a, b) => a.names.length - b.names.length || b.literalLength - a.literalLength);
  }

  /** The method an HTTP request addresses, with its decoded path parameters. */
  matchMethod(httpMethod: string, pathname: string): MatchedMethod | undefined {
    for (const route of this.routes) {
      if (route.method.httpMethod !== httpMethod) continue;
      const match = route.pattern.exec(pathname);
      if (!match) continue;
      const pathParams: Record<string, string> = {};
      try {
        route.names.forEach((name, index) => (pathParams[name] = decodeURIComponent(match[index + 1] ?? '')));
      } catch {
        continue;
      }
      return { method: route.method, pathParams };
    }
    return undefined;
  }

  /** Whether any method serves this path (with another HTTP method): 405 rather than 404. */
  pathExists(pathname: string): boolean {
    return this.routes.some((route) => route.pattern.test(pathname));
  }

  schema(name: string): DiscoverySchema {
    const schema = this.doc.schemas[name];
    if (!schema) throw new Error(`the discovery document has no schema ${name}`);
    return schema;
  }

  /** Issues found in `value` as an instance of the named schema; empty when it conforms. */
  validateBody(schemaName: string, value: unknown, options: BodyValidationOptions): ValidationIssue[] {
    const issues: ValidationIssue[] = [];
    const rootName = options.rootName ?? 'resource';
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      issues.push(invalidValue(rootName, `(${schemaName})`, value));
      return issues;
    }
    this.check(this.schema(schemaName), value, rootName, options, issues);
    return issues;
  }

  /**
   * Checks the query string of a request against the method's and the document's parameters.
   * Returns the typed values (integers as numbers, booleans as booleans, repeated as arrays).
   */
  validateQuery(method: DiscoveryMethod, query: URLSearchParams): { values: Record<string, ParameterValue>; issues: ValidationIssue[] } {
    const values: Record<string, ParameterValue> = {};
    const issues: ValidationIssue[] = [];
    const declared = (name: string): DiscoverySchema | undefined => {
      const own = method.parameters?.[name];
      if (own) return own.location === 'query' ? own : undefined;
      return this.doc.parameters[name];
    };
    for (const name of new Set(query.keys())) {
      const spec = declared(name);
      const raw = query.getAll(name);
      if (!spec) {
        issues.push({
          reason: 'invalidParameter',
          message: `Invalid JSON payload received. Unknown name "${name}": Cannot bind query parameter. Field '${name}' could not be found in request message.`,
          location: name,
          locationType: 'parameter',
        });
        continue;
      }
      if (!spec.repeated && raw.length > 1) {
        issues.push(parameterIssue(name, `Multiple values are not allowed for parameter '${name}'.`));
        continue;
      }
      const parsed: (string | number | boolean)[] = [];
      for (const text of raw) {
        const result = parseParameter(name, spec, text);
        if (typeof result === 'object') issues.push(result);
        else parsed.push(result);
      }
      if (parsed.length !== raw.length) continue;
      values[name] = spec.repeated ? parsed.map(String) : (parsed[0] as string | number | boolean);
    }
    for (const [name, spec] of Object.entries(method.parameters ?? {})) {
      if (spec.location === 'query' && spec.required && !(name in values)) {
        issues.push({ reason: 'required', message: `Required parameter: ${name}`, location: name, locationType: 'parameter' });
      }
    }
    return { values, issues };
  }

  /**
   * The read-only properties of a schema as dotted paths (`[]` marks array items), for example
   * `created`, `attendees[].self`, `conferenceData.createRequest.status.statusCode`.
   */
  readOnlyPaths(schemaName: string): readonly string[] {
    const cached = this.readOnlyCache.get(schemaName);
    if (cached) return cached;
    const paths: string[] = [];
    const walk = (schema: DiscoverySchema, prefix: string, seen: ReadonlySet<string>): void => {
      const resolved = this.resolve(schema);
      if (resolved.id && seen.has(resolved.id)) return;
      const nextSeen = resolved.id ? new Set([...seen, resolved.id]) : seen;
      if (resolved.type === 'array' && resolved.items) return walk(resolved.items, `${prefix}[]`, nextSeen);
      for (const [name, property] of Object.entries(resolved.properties ?? {})) {
        const path = prefix ? `${prefix}.${name}` : name;
        if (/\bread-only\b/i.test(property.description ?? '')) paths.push(path);
        else walk(property, path, nextSeen);
      }
    };
    walk(this.schema(schemaName), '', new Set());
    this.readOnlyCache.set(schemaName, paths);
    return paths;
  }

  /** A deep copy of `value` without the schema's read-only properties. */
  withoutReadOnly<T>(schemaName: string, value: T): T {
    const copy = structuredClone(value);
    for (const path of this.readOnlyPaths(schemaName)) deletePath(copy, path.split('.'));
    return copy;
  }

  private resolve(schema: DiscoverySchema): DiscoverySchema {
    let current = schema;
    for (let hops = 0; current.$ref && hops < 10; hops += 1) current = this.schema(current.$ref);
    return current;
  }

  private check(schema: DiscoverySchema, value: unknown, path: string, options: BodyValidationOptions, issues: ValidationIssue[]): void {
    if (issues.length >= MAX_ISSUES) return;
    const resolved = this.resolve(schema);
    if (value === null) {
      if (options.mode === 'response') issues.push(invalidValue(path, '(null is never returned)', value));
      return;
    }
    switch (resolved.type) {
      case 'any':
        return;
      case 'object': {
        if (typeof value !== 'object' || Array.isArray(value)) {
          issues.push(invalidValue(path, `(${resolved.id ?? 'object'})`, value));
          return;
        }
        const record = value as Record<string, unknown>;
        for (const [key, child] of Object.entries(record)) {
          const property = resolved.properties?.[key];
          const childPath = joinPath(path, key);
          if (property) this.check(property, child, childPath, options, issues);
          else if (resolved.additionalProperties) this.check(resolved.additionalProperties, child, childPath, options, issues);
          else issues.push(unknownName(key, path));
        }
        if (options.mode === 'request' && options.methodId) {
          for (const [key, property] of Object.entries(resolved.properties ?? {})) {
            const required = property.annotations?.required?.includes(options.methodId) ?? false;
            if (required && (record[key] === undefined || record[key] === null)) {
              issues.push({ reason: 'required', message: `Missing required field: ${joinPath(path, key)}`, location: joinPath(path, key), locationType: 'body' });
            }
          }
        }
        return;
      }
      case 'array': {
        if (!Array.isArray(value)) {
          issues.push(invalidValue(path, '(array)', value));
          return;
        }
        value.forEach((item, index) => {
          if (item === null) issues.push(invalidValue(`${path}[${index}]`, '(array items are never null)', item));
          else if (resolved.items) this.check(resolved.items, item, `${path}[${index}]`, options, issues);
        });
        return;
      }
      case 'string':
        checkString(resolved, value, path, issues);
        return;
      case 'integer':
        if (!isIntegerIn(value, resolved.format === 'uint32' ? UINT32 : INT32)) {
          issues.push(invalidValue(path, `(TYPE_${resolved.format === 'uint32' ? 'UINT32' : 'INT32'})`, value));
        }
        return;
      case 'number':
        if (typeof value !== 'number' && !(typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value)))) {
          issues.push(invalidValue(path, '(TYPE_DOUBLE)', value));
        }
        return;
      case 'boolean':
        if (typeof value !== 'boolean') issues.push(invalidValue(path, '(TYPE_BOOL)', value));
        return;
      default:
        // A schema without a type: only a $ref-less object description would land here.
        return;
    }
  }
}

function compileRoute(template: string, method: DiscoveryMethod): CompiledRoute {
  const names: string[] = [];
  let literalLength = 0;
  const source = template
    .split(/(\{\+?[A-Za-z0-9_]+\})/)
    .map((part) => {
      const param = /^\{(\+?)([A-Za-z0-9_]+)\}$/.exec(part);
      if (!param) {
        literalLength += part.length;
        return part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      }
      names.push(param[2] ?? '');
      return param[1] ? '(.+)' : '([^/]+)';
    })
    .join('');
  return { method, pattern: new RegExp(`^${source}$`), names, literalLength };
}

function checkString(schema: DiscoverySchema, value: unknown, path: string, issues: ValidationIssue[]): void {
  if (schema.format === 'int64' || schema.format === 'uint64') {
    const ok = (typeof value === 'string' && /^-?\d{1,19}$/.test(value)) || (typeof value === 'number' && Number.isSafeInteger(value));
    if (!ok) issues.push(invalidValue(path, `(TYPE_${schema.format.toUpperCase()})`, value));
    return;
  }
  if (typeof value !== 'string') {
    issues.push(invalidValue(path, '(TYPE_STRING)', value));
    return;
  }
  if (schema.format === 'date-time' && !isRfc3339DateTime(value, { offset: 'optional' })) {
    issues.push(invalidValue(path, '(date-time, RFC 3339)', value));
  } else if (schema.format === 'date' && !isRfc3339Date(value)) {
    issues.push(invalidValue(path, '(date, yyyy-mm-dd)', value));
  } else if (schema.enum && !schema.enum.includes(value)) {
    issues.push(invalidValue(path, `(one of ${schema.enum.join(', ')})`, value));
  }
}

function parseParameter(name: string, spec: DiscoverySchema, text: string): string | number | boolean | ValidationIssue {
  switch (spec.type) {
    case 'integer': {
      const range = spec.format === 'uint32' ? UINT32 : INT32;
      if (!/^-?\d+$/.test(text) || !isIntegerIn(Number(text), range)) return parameterIssue(name, `Invalid integer value: '${text}'.`);
      const number = Number(text);
      const min = spec.minimum === undefined ? undefined : Number(spec.minimum);
      const max = spec.maximum === undefined ? undefined : Number(spec.maximum);
      if ((min !== undefined && number < min) || (max !== undefined && number > max)) {
        return parameterIssue(name, `Invalid value '${text}'. Values must be within the range: [${min ?? ''}, ${max ?? ''}]`);
      }
      return number;
    }
    case 'boolean':
      if (text !== 'true' && text !== 'false') return parameterIssue(name, `Invalid boolean value: '${text}'.`);
      return text === 'true';
    default:
      if (spec.enum && !spec.enum.includes(text)) {
        return parameterIssue(name, `Invalid string value: '${text}'. Allowed values: [${spec.enum.join(', ')}]`);
      }
      if (spec.format === 'date-time' && !isRfc3339DateTime(text, { offset: 'required' })) {
        return parameterIssue(name, `Invalid value '${text}' for ${name}: must be an RFC3339 timestamp with mandatory time zone offset.`);
      }
      return text;
  }
}

function isIntegerIn(value: unknown, range: { min: number; max: number }): boolean {
  const number = typeof value === 'string' && /^-?\d+$/.test(value) ? Number(value) : value;
  return typeof number === 'number' && Number.isInteger(number) && number >= range.min && number <= range.max;
}

function joinPath(path: string, key: string): string {
  return path ? `${path}.${key}` : key;
}

function invalidValue(path: string, type: string, value: unknown): ValidationIssue {
  return { reason: 'invalid', message: `Invalid value at '${path}' ${type}, ${JSON.stringify(value) ?? String(value)}`, location: path, locationType: 'body' };
}

function unknownName(key: string, path: string): ValidationIssue {
  const at = path ? ` at '${path}'` : '';
  return { reason: 'invalid', message: `Invalid JSON payload received. Unknown name "${key}"${at}: Cannot find field.`, location: joinPath(path, key), locationType: 'body' };
}

function parameterIssue(name: string, message: string): ValidationIssue {
  return { reason: 'invalidParameter', message, location: name, locationType: 'parameter' };
}

function deletePath(target: unknown, segments: readonly string[]): void {
  if (target === null || typeof target !== 'object') return;
  const [head, ...rest] = segments;
  if (head === undefined) return;
  const isArray = head.endsWith('[]');
  const key = isArray ? head.slice(0, -2) : head;
  const record = target as Record<string, unknown>;
  if (rest.length === 0 && !isArray) {
    delete record[key];
    return;
  }
  const child = record[key];
  if (isArray && Array.isArray(child)) {
    for (const item of child) deletePath(item, rest);
  } else if (!isArray) {
    deletePath(child, rest);
  }
}
