/** A local-mode server cannot listen: what to do, in one line (no stack trace). */
export class PortInUseError extends Error {
  override readonly name = 'PortInUseError';
  constructor(
    readonly port: number,
    what: string,
    variable: string,
  ) {
    super(`Port ${port} on 127.0.0.1 is already in use, so the ${what} cannot start. Stop whatever uses it, or choose another port: ${variable}=<port> npm start`);
  }
}
