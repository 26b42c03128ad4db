import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as z from 'zod';

/**
 * The Google Calendar API v3 discovery document, as Google's Discovery Service publishes it.
 * `calendar-v3.discovery.json` beside this file is a byte-for-byte copy of
 * `../shared/corpus/google/calendar-v3.json` (revision 20260519; provenance in
 * `../shared/corpus/PROVENANCE.tsv`); a test keeps the two identical.
 */
export const DISCOVERY_PATH = fileURLToPath(new URL('./calendar-v3.discovery.json', import.meta.url));

/** A JSON schema node as the discovery format writes it (a subset of JSON Schema draft 3). */
export interface DiscoverySchema {
  readonly id?: string;
  readonly type?: 'object' | 'array' | 'string' | 'integer' | 'number' | 'boolean' | 'any' | 'null';
  readonly $ref?: string;
  readonly format?: string;
  readonly description?: string;
  readonly properties?: Readonly<Record<string, DiscoverySchema>>;
  readonly additionalProperties?: DiscoverySchema;
  readonly items?: DiscoverySchema;
  readonly enum?: readonly string[];
  readonly annotations?: { readonly required?: readonly string[] };
  readonly default?: string;
  // Parameters only:
  readonly location?: 'query' | 'path';
  readonly required?: boolean;
  readonly repeated?: boolean;
  readonly minimum?: string;
  readonly maximum?: string;
}

export interface DiscoveryMethod {
  readonly id: string;
  readonly path: string;
  readonly httpMethod: string;
  readonly parameters?: Readonly<Record<string, DiscoverySchema>>;
  readonly parameterOrder?: readonly string[];
  readonly request?: { readonly $ref: string };
  readonly response?: { readonly $ref: string };
  readonly scopes?: readonly string[];
}

export interface DiscoveryResource {
  readonly methods?: Readonly<Record<string, DiscoveryMethod>>;
  readonly resources?: Readonly<Record<string, DiscoveryResource>>;
}

export interface DiscoveryDocument {
  readonly name: string;
  readonly version: string;
  readonly revision?: string;
  readonly rootUrl: string;
  readonly servicePath: string;
  readonly parameters: Readonly<Record<string, DiscoverySchema>>;
  readonly schemas: Readonly<Record<string, DiscoverySchema>>;
  readonly resources: Readonly<Record<string, DiscoveryResource>>;
  readonly auth?: { readonly oauth2?: { readonly scopes?: Readonly<Record<string, unknown>> } };
}

// Only the outline is checked here; the schemas themselves are interpreted by the validator.
const outline = z.looseObject({
  name: z.string(),
  version: z.string(),
  rootUrl: z.string(),
  servicePath: z.string(),
  parameters: z.record(z.string(), z.looseObject({})),
  schemas: z.record(z.string(), z.looseObject({})),
  resources: z.record(z.string(), z.looseObject({})),
});

export function parseDiscoveryDocument(text: string): DiscoveryDocument {
  const json: unknown = JSON.parse(text);
  outline.parse(json);
  return json as DiscoveryDocument;
}

let cached: DiscoveryDocument | undefined;

/** The Calendar v3 discovery document shipped beside this module (read once per process). */
export function loadCalendarDiscovery(): DiscoveryDocument {
  cached ??= parseDiscoveryDocument(readFileSync(DISCOVERY_PATH, 'utf8'));
  return cached;
}

/** Every method of the document, walking nested resources. */
export function listMethods(doc: DiscoveryDocument): DiscoveryMethod[] {
  const methods: DiscoveryMethod[] = [];
  const walk = (resource: DiscoveryResource): void => {
    for (const method of Object.values(resource.methods ?? {})) methods.push(method);
    for (const child of Object.values(resource.resources ?? {})) walk(child);
  };
  for (const resource of Object.values(doc.resources)) walk(resource);
  return methods;
}
