import type { ServerResponse } from 'node:http';

/** Changes closer together than this are announced once. */
const COALESCE_MS = 200;
/** A comment line now and then keeps idle connections (and proxies) from timing out. */
const HEARTBEAT_MS = 20_000;

/**
 * Server-sent events for the dashboard: every change to the table (seen on its stream) becomes
 * one `change` event to every open page, which then fetches itself again. Bursts of changes
 * (a capture writes several items) are coalesced.
 */
export class LiveUpdates {
  private readonly clients = new Set<ServerResponse>();
  private pending: NodeJS.Timeout | null = null;
  private readonly heartbeat: NodeJS.Timeout;
  private version = 0;

  constructor() {
    this.heartbeat = setInterval(() => this.broadcast(': still here\n\n'), HEARTBEAT_MS);
    this.heartbeat.unref();
  }

  /** Keeps the response open as an event stream until the client goes away. */
  attach(response: ServerResponse): void {
    response.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'keep-alive',
      'x-content-type-options': 'nosniff',
    });
    // Reconnect quickly after local mode restarts.
    response.write(`retry: 2000\nevent: hello\ndata: ${this.version}\n\n`);
    this.clients.add(response);
    response.on('close', () => this.clients.delete(response));
  }

  /** Something in the table changed. */
  changed(): void {
    if (this.pending) return;
    this.pending = setTimeout(() => {
      this.pending = null;
      this.version += 1;
      this.broadcast(`event: change\ndata: ${this.version}\n\n`);
    }, COALESCE_MS);
    this.pending.unref();
  }

  get openStreams(): number {
    return this.clients.size;
  }

  close(): void {
    clearInterval(this.heartbeat);
    if (this.pending) clearTimeout(this.pending);
    for (const client of this.clients) client.end();
    this.clients.clear();
  }

  private broadcast(chunk: string): void {
    for (const client of this.clients) client.write(chunk);
  }
}
