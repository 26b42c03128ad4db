import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import * as z from 'zod';
import type { CalendarStoreSnapshot } from './calendar-store.ts';
import type { OAuthSnapshot } from './oauth.ts';

/**
 * The loopback server's state on disk (local mode: `.data/google-calendar.json`), so calendars,
 * grants and tokens survive a restart. Written whole, atomically (temporary file, then rename).
 * A file that cannot be read is an error, never silently replaced: it may hold someone's data.
 */

export interface PersistedState {
  readonly version: 1;
  readonly calendar: CalendarStoreSnapshot;
  readonly oauth: OAuthSnapshot;
}

// The outline is checked; the records inside are this server's own output.
const persistedOutline = z.object({
  version: z.literal(1),
  calendar: z.looseObject({ calendars: z.record(z.string(), z.looseObject({})), notifications: z.array(z.looseObject({})), changeCounter: z.number(), syncEpoch: z.string() }),
  oauth: z.looseObject({ clients: z.array(z.looseObject({})), grants: z.array(z.looseObject({})), accessTokens: z.record(z.string(), z.looseObject({})) }),
});

export function readStateFile(path: string): PersistedState | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new Error(`${path} is not valid JSON (${(error as Error).message}); move it aside to start with an empty calendar`, { cause: error });
  }
  const parsed = persistedOutline.safeParse(json);
  if (!parsed.success) throw new Error(`${path} is not a loopback Google state file:\n${z.prettifyError(parsed.error)}`);
  return json as PersistedState;
}

export function writeStateFile(path: string, state: PersistedState): void {
  mkdirSync(dirname(path), { recursive: true });
  const temporary = `${path}.${process.pid}.tmp`;
  writeFileSync(temporary, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
  renameSync(temporary, path);
}
