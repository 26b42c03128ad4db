import * as z from 'zod';

/**
 * The Lambda Function URL event (payload format 2.0) at the edge: the fields of Powertools'
 * `LambdaFunctionUrlSchema` this function reads, and no more, so a local server or test can send
 * the same shape without inventing the rest of AWS's request context. Written out here because
 * Powertools' schemas import zod whole (`import { z }`), which keeps all of zod in the bundle;
 * test/web/http.test.ts checks it accepts what Powertools' schema accepts.
 */
const stringRecord = z.record(z.string(), z.string());
export const functionUrlEventSchema = z.object({
  rawPath: z.string().startsWith('/'),
  rawQueryString: z.string(),
  headers: stringRecord,
  queryStringParameters: stringRecord.optional(),
  body: z.string().optional(),
  isBase64Encoded: z.boolean(),
  requestContext: z.object({
    domainName: z.string().min(1),
    http: z.object({ method: z.enum(['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS']) }),
  }),
});

export type FunctionUrlEvent = z.infer<typeof functionUrlEventSchema>;

export interface WebRequest {
  readonly method: FunctionUrlEvent['requestContext']['http']['method'];
  readonly path: string;
  /** From the raw query string: repeated names stay separate (the parsed map joins them with commas). */
  readonly query: URLSearchParams;
  /** Lower-case names. */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Buffer;
}

export function webRequestFrom(event: FunctionUrlEvent): WebRequest {
  const headers = Object.fromEntries(Object.entries(event.headers).map(([name, value]) => [name.toLowerCase(), value]));
  const body = event.body === undefined ? Buffer.alloc(0) : Buffer.from(event.body, event.isBase64Encoded ? 'base64' : 'utf8');
  return { method: event.requestContext.http.method, path: event.rawPath, query: new URLSearchParams(event.rawQueryString), headers, body };
}

/** Forms here carry one token; anything much bigger is not ours. */
export const MAX_FORM_BYTES = 8 * 1024;

export type FormResult = { readonly ok: true; readonly form: URLSearchParams } | { readonly ok: false; readonly status: 413 | 415 };

/** An `application/x-www-form-urlencoded` body, as browsers send a form, within the size limit. */
export function readForm(request: WebRequest, maxBytes: number = MAX_FORM_BYTES): FormResult {
  const contentType = (request.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
  if (contentType !== 'application/x-www-form-urlencoded') return { ok: false, status: 415 };
  if (request.body.length > maxBytes) return { ok: false, status: 413 };
  // Invalid UTF-8 becomes U+FFFD, so a mangled token fails its signature check instead of throwing here.
  return { ok: true, form: new URLSearchParams(new TextDecoder('utf-8').decode(request.body)) };
}

/** The value of a parameter given exactly once; null when missing, empty or repeated. */
export function singleValue(parameters: URLSearchParams, name: string): string | null {
  const values = parameters.getAll(name);
  return values.length === 1 && values[0] ? values[0] : null;
}

export type OneClickResult = { readonly ok: true } | { readonly ok: false; readonly status: 400 | 413 | 415 };

/**
 * The body of a one-click unsubscribe (RFC 8058 section 3.1): the pair `List-Unsubscribe=One-Click`,
 * sent as `application/x-www-form-urlencoded` or `multipart/form-data`. 400 without it, so a POST
 * that is not a deliberate unsubscribe changes nothing.
 */
export function readOneClick(request: WebRequest, maxBytes: number = MAX_FORM_BYTES): OneClickResult {
  const [type = '', ...parameters] = (request.headers['content-type'] ?? '').split(';').map((part) => part.trim());
  const contentType = type.toLowerCase();
  if (contentType !== 'application/x-www-form-urlencoded' && contentType !== 'multipart/form-data') return { ok: false, status: 415 };
  if (request.body.length > maxBytes) return { ok: false, status: 413 };
  if (contentType === 'application/x-www-form-urlencoded') {
    const form = new URLSearchParams(new TextDecoder('utf-8').decode(request.body));
    return form.getAll('List-Unsubscribe').includes('One-Click') ? { ok: true } : { ok: false, status: 400 };
  }
  const boundaryParameter = parameters.find((parameter) => parameter.toLowerCase().startsWith('boundary='))?.slice('boundary='.length);
  const boundary = boundaryParameter?.replace(/^"(.*)"$/, '$1');
  if (!boundary) return { ok: false, status: 400 };
  return multipartFields(request.body.toString('latin1'), boundary).some(({ name, value }) => name === 'List-Unsubscribe' && value === 'One-Click')
    ? { ok: true }
    : { ok: false, status: 400 };
}

/** The simple (non-file) fields of a multipart/form-data body (RFC 7578). */
function multipartFields(body: string, boundary: string): { name: string; value: string }[] {
  const fields: { name: string; value: string }[] = [];
  for (const part of body.split(`--${boundary}`).slice(1)) {
    if (part.startsWith('--')) break;
    const match = /^\r?\n([\s\S]*?)\r?\n\r?\n([\s\S]*?)\r?\n?$/.exec(part);
    if (!match) continue;
    const [, head = '', value = ''] = match;
    const name = /^content-disposition:\s*form-data\s*;(?:.*;)?\s*name="([^"]*)"/im.exec(head)?.[1];
    if (name !== undefined) fields.push({ name, value });
  }
  return fields;
}
