/**
 * The reliability suite runs the same tests at two sizes: on every `npm test` small enough for the
 * time budget, and with `SOAK=1` (`npm run test:soak`) at the sizes the issue asks for.
 */
export const SOAK = process.env.SOAK === '1';

/** `everyRun` cases on every `npm test`, `soak` under `npm run test:soak`. */
export function scaled(everyRun: number, soak: number): number {
  return SOAK ? soak : everyRun;
}
