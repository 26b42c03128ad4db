/** The only source of "now" in the domain, so tests and replays control time. */
export interface Clock {
  now(): Date;
}
