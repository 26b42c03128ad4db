/** RFC 3339 timestamps and IANA time zones, as the Calendar API reads them. */

const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})?$/;
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

export function isRfc3339Date(text: string): boolean {
  const match = DATE.exec(text);
  return match !== null && isCalendarDate(Number(match[1]), Number(match[2]), Number(match[3]));
}

export function isRfc3339DateTime(text: string, options: { offset: 'required' | 'optional' }): boolean {
  const match = DATE_TIME.exec(text);
  if (!match) return false;
  if (options.offset === 'required' && match[8] === undefined) return false;
  const [hour, minute, second] = [Number(match[4]), Number(match[5]), Number(match[6])];
  return isCalendarDate(Number(match[1]), Number(match[2]), Number(match[3])) && hour < 24 && minute < 60 && second < 61;
}

export function hasOffset(text: string): boolean {
  return DATE_TIME.exec(text)?.[8] !== undefined;
}

/** Milliseconds since the epoch of an RFC 3339 timestamp with an offset. */
export function parseInstant(text: string): number {
  if (!isRfc3339DateTime(text, { offset: 'required' })) throw new RangeError(`not an RFC 3339 timestamp with offset: ${text}`);
  return Date.parse(text.replace(/z$/, 'Z').replace('t', 'T'));
}

export function isValidTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/** Milliseconds since the epoch of a wall-clock time (`yyyy-mm-ddThh:mm:ss[.fff]`) in an IANA zone. */
export function zonedWallTimeToInstant(wallTime: string, zone: string): number {
  const asUtc = Date.parse(`${wallTime.replace('t', 'T')}Z`);
  // Two passes settle the offset around DST changes (the offset at the result, not at the guess).
  let instant = asUtc - offsetOf(asUtc, zone);
  instant = asUtc - offsetOf(instant, zone);
  return instant;
}

/** The zone's offset from UTC at an instant, in milliseconds. */
export function offsetOf(instant: number, zone: string): number {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone: zone,
    hourCycle: 'h23',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  }).formatToParts(new Date(instant));
  const get = (type: string): number => Number(parts.find((part) => part.type === type)?.value);
  const wall = Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute'), get('second'));
  return wall - Math.floor(instant / 1000) * 1000;
}

/** `2026-05-01T10:00:00.000Z`: how Google writes `created`, `updated` and freeBusy bounds. */
export function toRfc3339(instant: number): string {
  return new Date(instant).toISOString();
}

function isCalendarDate(year: number, month: number, day: number): boolean {
  if (month < 1 || month > 12 || day < 1) return false;
  return day <= new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/** An instant written in a zone's offset, without fractions: `2026-05-01T10:00:00-07:00` (`Z` for UTC). */
export function formatInZone(instant: number, zone: string): string {
  const offset = offsetOf(instant, zone);
  const wall = new Date(Math.floor(instant / 1000) * 1000 + offset).toISOString().slice(0, 19);
  if (offset === 0) return `${wall}Z`;
  const minutes = Math.abs(offset) / 60_000;
  const sign = offset < 0 ? '-' : '+';
  return `${wall}${sign}${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`;
}
