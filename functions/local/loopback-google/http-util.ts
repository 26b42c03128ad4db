import type { IncomingMessage, ServerResponse } from 'node:http';

/** Largest request body accepted (Google's own limit for a Calendar event is far below this). */
export const MAX_BODY_BYTES = 1024 * 1024;

export class BodyTooLargeError extends Error {
  override readonly name = 'BodyTooLargeError';
}

export async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    if (size > MAX_BODY_BYTES) throw new BodyTooLargeError(`request body over ${MAX_BODY_BYTES} bytes`);
    chunks.push(buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

export function sendJson(response: ServerResponse, status: number, body: unknown, headers: Readonly<Record<string, string>> = {}): void {
  const text = `${JSON.stringify(body, null, 2)}\n`;
  response.writeHead(status, { 'content-type': 'application/json; charset=UTF-8', 'cache-control': 'no-store', ...headers, 'content-length': Buffer.byteLength(text) });
  response.end(text);
}

export function sendHtml(response: ServerResponse, status: number, html: string): void {
  response.writeHead(status, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store', 'content-length': Buffer.byteLength(html) });
  response.end(html);
}

export function sendNoContent(response: ServerResponse): void {
  response.writeHead(204);
  response.end();
}

export function redirect(response: ServerResponse, location: string): void {
  response.writeHead(302, { location, 'cache-control': 'no-store', 'content-length': 0 });
  response.end();
}

/** The form of an `application/x-www-form-urlencoded` (or JSON) body, as the token endpoint reads it. */
export function formOf(request: IncomingMessage, body: string): URLSearchParams {
  if ((request.headers['content-type'] ?? '').includes('application/json')) {
    try {
      const json = JSON.parse(body) as Record<string, unknown>;
      return new URLSearchParams(Object.entries(json).map(([key, value]): [string, string] => [key, typeof value === 'string' ? value : JSON.stringify(value)]));
    } catch {
      return new URLSearchParams();
    }
  }
  return new URLSearchParams(body);
}

export function bearerToken(request: IncomingMessage, query: URLSearchParams): string | undefined {
  const match = /^Bearer\s+(\S+)$/i.exec(request.headers.authorization ?? '');
  // `oauth_token` is the discovery document's query-parameter alternative to the header.
  return match?.[1] ?? query.get('oauth_token') ?? undefined;
}
