import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { LambdaFunctionUrlEvent } from '@aws-lambda-powertools/parser/types';
import type { WebResponse } from '../web/http.ts';
import { PortInUseError } from './port-in-use.ts';

/**
 * The web function on this machine: a Node `http` server on 127.0.0.1 that turns each request
 * into the Lambda Function URL event (payload format 2.0) and writes the handler's response back,
 * so local mode serves the same pages through the same handler as AWS.
 */

const HOST = '127.0.0.1';
export const DEFAULT_WEB_PORT = 3000;
/** Far above any form the pages have (the handler refuses more than a few KB); Lambda's own limit is 6 MB. */
const MAX_BODY_BYTES = 64 * 1024;
/** Function URLs hand text bodies over as they are and everything else base64-encoded. */
const TEXT_TYPES = /^(text\/|application\/(json|xml|javascript)\b)/i;

export interface WebServerOptions {
  /** Default 3000; 0 picks a free port. */
  readonly port?: number;
  readonly handler: (event: unknown) => Promise<WebResponse>;
  /** The variable that chooses the port, named in the "port in use" error. */
  readonly portVariable?: string;
  /**
   * Pages served only here, before the web function's (local mode's dashboard): answers the
   * request itself and resolves true, or resolves false to leave it to `handler`.
   */
  readonly localRoutes?: (request: IncomingMessage, response: ServerResponse) => Promise<boolean>;
}

export interface RunningWebServer {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  readonly port: number;
  stop(): Promise<void>;
}

export async function startWebServer(options: WebServerOptions): Promise<RunningWebServer> {
  const requestedPort = options.port ?? DEFAULT_WEB_PORT;
  const server = createServer((request, response) => {
    serveLocalFirst(request, response, options).catch(() => {
      // serve() answers every failure itself (local routes too); this only guards against a write on a closed socket.
      if (!response.headersSent) response.writeHead(502).end();
    });
  });
  await new Promise<void>((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => {
      reject(error.code === 'EADDRINUSE' ? new PortInUseError(requestedPort, 'web server', options.portVariable ?? 'REFER_WEB_PORT') : error);
    };
    server.once('error', onError);
    server.listen(requestedPort, HOST, () => {
      server.off('error', onError);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://${HOST}:${port}`,
    port,
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

async function serveLocalFirst(request: IncomingMessage, response: ServerResponse, options: WebServerOptions): Promise<void> {
  if (options.localRoutes && (await options.localRoutes(request, response))) return;
  await serve(request, response, options.handler);
}

async function serve(request: IncomingMessage, response: ServerResponse, handler: WebServerOptions['handler']): Promise<void> {
  const body = await readBody(request);
  if (body === 'too_large') {
    response.writeHead(413, { 'content-type': 'text/plain; charset=utf-8', connection: 'close' }).end('Request body too large\n');
    return;
  }
  const event = functionUrlEvent(request, body);
  if (!event) {
    response.writeHead(400, { 'content-type': 'text/plain; charset=utf-8' }).end('Bad request\n');
    return;
  }
  let result: WebResponse;
  try {
    result = await handler(event);
  } catch {
    // What a Function URL answers when the function throws.
    response.writeHead(502, { 'content-type': 'text/plain; charset=utf-8' }).end('Internal Server Error\n');
    return;
  }
  response.writeHead(result.statusCode, result.headers);
  response.end(request.method === 'HEAD' ? undefined : Buffer.from(result.body, result.isBase64Encoded ? 'base64' : 'utf8'));
}

async function readBody(request: IncomingMessage): Promise<Buffer | 'too_large'> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) return 'too_large';
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

/** The request as a Function URL event, the way AWS builds it; null for a request target that is not a path. */
export function functionUrlEvent(request: IncomingMessage, body: Buffer): LambdaFunctionUrlEvent | null {
  const target = request.url ?? '/';
  if (!target.startsWith('/')) return null;
  const queryAt = target.indexOf('?');
  const rawPath = queryAt === -1 ? target : target.slice(0, queryAt);
  const rawQueryString = queryAt === -1 ? '' : target.slice(queryAt + 1);

  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headersDistinct)) {
    if (value && name !== 'cookie') headers[name] = value.join(',');
  }
  const cookies = request.headers.cookie?.split(/;\s*/).filter(Boolean);
  const query: Record<string, string> = {};
  for (const [name, value] of new URLSearchParams(rawQueryString)) query[name] = name in query ? `${query[name]},${value}` : value;

  const contentType = request.headers['content-type'] ?? '';
  const text = TEXT_TYPES.test(contentType);
  const host = request.headers.host ?? HOST;
  const method = (request.method ?? 'GET').toUpperCase() as LambdaFunctionUrlEvent['requestContext']['http']['method'];
  const now = new Date();
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath,
    rawQueryString,
    ...(cookies?.length ? { cookies } : {}),
    headers,
    ...(rawQueryString ? { queryStringParameters: query } : {}),
    requestContext: {
      accountId: 'anonymous',
      apiId: 'local',
      domainName: host,
      domainPrefix: host.split('.')[0] ?? host,
      http: {
        method,
        path: rawPath,
        protocol: `HTTP/${request.httpVersion}`,
        sourceIp: request.socket.remoteAddress ?? HOST,
        userAgent: request.headers['user-agent'] ?? '',
      },
      requestId: randomUUID(),
      routeKey: '$default',
      stage: '$default',
      time: now.toUTCString(),
      timeEpoch: now.getTime(),
    },
    ...(body.length > 0 ? { body: body.toString(text ? 'utf8' : 'base64') } : {}),
    isBase64Encoded: body.length > 0 && !text,
  };
}
