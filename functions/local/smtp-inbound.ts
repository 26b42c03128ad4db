import { randomUUID } from 'node:crypto';
import { SMTPServer, type SMTPServerDataStream, type SMTPServerSession } from 'smtp-server';
import { PortInUseError } from './port-in-use.ts';

/**
 * Local mode's stand-in for SES inbound: an SMTP server on loopback that accepts mail for the
 * capture domain only and hands each message, with its envelope, to `onMessage`.
 */
export interface InboundMessage {
  readonly deliveryId: string;
  readonly raw: Buffer;
  readonly envelopeRecipients: readonly string[];
  readonly receivedAt: Date;
}

export interface SmtpInboundOptions {
  readonly port: number;
  /** Mail is accepted for addresses at this domain only (as an SES receipt rule would). */
  readonly captureDomain: string;
  /** Returns a short status for the SMTP reply; a rejection becomes a temporary failure (451). */
  readonly onMessage: (message: InboundMessage) => Promise<string>;
}

export interface RunningSmtpInbound {
  readonly port: number;
  stop(): Promise<void>;
}

const HOST = '127.0.0.1';
/** SES accepts messages up to 40 MB; so does local mode. */
export const MAX_MESSAGE_BYTES = 40 * 1024 * 1024;

export { PortInUseError };

export async function startSmtpInbound(options: SmtpInboundOptions): Promise<RunningSmtpInbound> {
  const domain = options.captureDomain.toLowerCase();
  const server = new SMTPServer({
    name: 'refer.local',
    banner: 'Referral follow-through local capture',
    authOptional: true,
    disabledCommands: ['AUTH', 'STARTTLS'],
    size: MAX_MESSAGE_BYTES,
    logger: false,
    onRcptTo(address, _session, callback) {
      if (address.address.toLowerCase().endsWith(`@${domain}`)) return callback();
      return callback(Object.assign(new Error(`Only mail for @${domain} is accepted here`), { responseCode: 550 }));
    },
    onData(stream: SMTPServerDataStream, session: SMTPServerSession, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('error', (error: Error) => callback(error));
      stream.on('end', () => {
        if (stream.sizeExceeded) {
          callback(Object.assign(new Error(`Message exceeds ${MAX_MESSAGE_BYTES} bytes`), { responseCode: 552 }));
          return;
        }
        const message: InboundMessage = {
          deliveryId: `local-${randomUUID()}`,
          raw: Buffer.concat(chunks),
          envelopeRecipients: session.envelope.rcptTo.map((recipient) => recipient.address.toLowerCase()),
          receivedAt: new Date(),
        };
        options.onMessage(message).then(
          (status) => callback(null, status),
          (error: unknown) =>
            callback(Object.assign(new Error(`Could not record the message, try again (${error instanceof Error ? error.name : 'error'})`), { responseCode: 451 })),
        );
      });
    },
  });

  // Before listening: smtp-server re-emits the listening socket's errors too (EADDRINUSE), and an
  // 'error' event with no listener would end the process with a stack trace instead of the message below.
  server.on('error', () => {
    // A client's broken connection must not take local mode down; smtp-server already answered it.
  });
  await new Promise<void>((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => {
      reject(error.code === 'EADDRINUSE' ? new PortInUseError(options.port, 'SMTP capture server', 'REFER_SMTP_PORT') : error);
    };
    server.server.once('error', onError);
    server.listen(options.port, HOST, () => {
      server.server.off('error', onError);
      resolve();
    });
  });
  const address = server.server.address();
  return {
    port: typeof address === 'object' && address ? address.port : options.port,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
