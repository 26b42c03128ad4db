export interface Partner {
  readonly email: string;
  readonly name: string | null;
  /** IANA time zone, e.g. Europe/London. */
  readonly timeZone: string;
  readonly createdAt: string;
}

