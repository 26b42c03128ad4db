import { createServer, type Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findFreePort } from '../../../functions/local/dynamodb-local.ts';
import { freePortOtherThan } from '../../../functions/local/early-start.ts';
import { PortInUseError } from '../../../functions/local/port-in-use.ts';
import { startSmtpInbound } from '../../../functions/local/smtp-inbound.ts';

/** A port someone else holds gives one line that says what to do, never a crash with a stack trace. */
let holder: Server;
let taken: number;

beforeAll(async () => {
  taken = await findFreePort();
  holder = createServer();
  await new Promise<void>((resolve) => holder.listen(taken, '127.0.0.1', resolve));
});
afterAll(() => new Promise<void>((resolve) => holder.close(() => resolve())));

describe('local mode ports', () => {
  it('reports a taken SMTP port as PortInUseError naming the variable to set', async () => {
    const error: unknown = await startSmtpInbound({ port: taken, captureDomain: 'refer.local', onMessage: () => Promise.resolve('OK') }).then(
      () => null,
      (reason: unknown) => reason,
    );
    expect(error).toBeInstanceOf(PortInUseError);
    expect((error as Error).message).toBe(
      `Port ${taken} on 127.0.0.1 is already in use, so the SMTP capture server cannot start. Stop whatever uses it, or choose another port: REFER_SMTP_PORT=<port> npm start`,
    );
  });

  it('picks free ports for DynamoDB Local and the loopback Google server that none of the configured ports can be', async () => {
    for (let attempt = 0; attempt < 20; attempt += 1) {
      const configured = [await findFreePort(), await findFreePort()];
      expect(configured).not.toContain(await freePortOtherThan(configured));
    }
  });
});
