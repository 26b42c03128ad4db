import { createHash } from 'node:crypto';

/** Google event ids use base32hex characters only (0-9, a-v) and are 5 to 1024 characters long. */
const BASE32HEX = '0123456789abcdefghijklmnopqrstuv';
/** 52 characters: the whole SHA-256 (256 bits / 5 bits per character), well inside Google's 5–1024. */
const EVENT_ID_LENGTH = 52;

/**
 * The calendar event id of an introduction's meeting. The same introduction (and booking round:
 * a new round follows a declined or cancelled meeting) always gets the same id, so a retried
 * booking finds its event, or is told "already exists" by Google, instead of booking a second one.
 */
export function meetingEventId(introductionId: string, round: number): string {
  return base32hex(createHash('sha256').update(`meeting:${introductionId}:${round}`).digest()).slice(0, EVENT_ID_LENGTH);
}

/** The Meet `conferenceData.createRequest.requestId`, derived the same way. */
export function meetingVideoRequestId(introductionId: string, round: number): string {
  return base32hex(createHash('sha256').update(`video:${introductionId}:${round}`).digest()).slice(0, EVENT_ID_LENGTH);
}

function base32hex(bytes: Uint8Array): string {
  let bits = 0;
  let value = 0;
  let output = '';
  for (const byte of bytes) {
    value = ((value << 8) | byte) & 0xffff;
    bits += 8;
    while (bits >= 5) {
      output += BASE32HEX[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) output += BASE32HEX[(value << (5 - bits)) & 31];
  return output;
}

/** The event id of a pair's one-to-one in a period (e.g. 2026-11, 2026-Q4): booked once per period. */
export function oneToOneEventId(pairId: string, period: string): string {
  return base32hex(createHash('sha256').update(`one-to-one:${pairId}:${period}`).digest()).slice(0, EVENT_ID_LENGTH);
}
