import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { startLoopbackGoogle } from './server.ts';

/**
 * Runs the loopback Google server on its own:
 *   npx tsx functions/local/loopback-google/main.ts [--port 0] [--data .data/google-calendar.json] [--user partner@refer.local]
 * Prints one JSON line with the URL and endpoints, then serves until Ctrl-C.
 */
const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '0' },
    data: { type: 'string' },
    user: { type: 'string' },
  },
});

const google = await startLoopbackGoogle({
  port: Number(values.port),
  ...(values.data ? { persistPath: resolve(values.data) } : {}),
  ...(values.user ? { defaultUser: values.user } : {}),
});
process.stdout.write(`${JSON.stringify({ url: google.url, port: google.port, ...google.endpoints })}\n`);

const stop = (): void => {
  google.stop().then(
    () => process.exit(0),
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
};
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
