import type { MailAddress } from './mail-message.ts';

/** Someone named in a message: an address (lower-cased) when there is one, and a display name. */
export interface Person {
  readonly address: string | null;
  readonly name: string | null;
}

// A pragmatic mailbox check: one @, a non-empty local part and a dotted domain, no spaces or brackets.
const MAILBOX = /^[^\s@<>()[\],;:"]+@[^\s@<>()[\],;:"]+\.[^\s@<>()[\],;:".]+$/;

export function normalizeAddress(address: string | null | undefined): string | null {
  if (!address) return null;
  const trimmed = address.trim().replace(/^mailto:/i, '').replace(/^<|>$/g, '').toLowerCase();
  return MAILBOX.test(trimmed) ? trimmed : null;
}

/** Longer display names are not names; this also bounds what a hostile header adds to a stored item. */
export const MAX_DISPLAY_NAME_CHARS = 200;

export function cleanDisplayName(name: string | null | undefined): string | null {
  if (!name) return null;
  const cleaned = name
    .slice(0, MAX_DISPLAY_NAME_CHARS * 4)
    // Line breaks and other control characters (an encoded word can decode to them) are not part of a name.
    .replace(/[\u0000-\u001f\u007f\u2028\u2029]+/g, ' ')
    .replace(/["'`]/g, '')
    .replace(/\s*@ENRON$/i, '')
    .replace(/\s+/g, ' ')
    .trim();
  if (!cleaned || cleaned.includes('@')) return null;
  return cleaned.slice(0, MAX_DISPLAY_NAME_CHARS).trim();
}

export function personFromMailAddress(mailAddress: MailAddress): Person | null {
  const address = normalizeAddress(mailAddress.address);
  const name = cleanDisplayName(mailAddress.name);
  if (!address && !name) return null;
  return { address, name };
}

export function peopleFrom(addresses: readonly MailAddress[]): Person[] {
  return uniquePeople(addresses.map(personFromMailAddress).filter((person): person is Person => person !== null));
}

/** De-duplicates by address (keeping the first display name seen), then by name for address-less people. */
export function uniquePeople(people: readonly Person[]): Person[] {
  const byKey = new Map<string, Person>();
  for (const person of people) {
    const key = person.address ?? `name:${(person.name ?? '').toLowerCase()}`;
    const existing = byKey.get(key);
    if (!existing) byKey.set(key, person);
    else if (!existing.name && person.name) byKey.set(key, { ...existing, name: person.name });
  }
  return [...byKey.values()];
}

const NAME_NOISE = /\b(jr|sr|ii|iii|iv|mr|mrs|ms|dr|prof|phd|cfa|cpa|mba)\b\.?/gi;

/**
 * Name words a body might use for this person: from the display name ("Last, First" is turned
 * around) and from the address's local part (jane.doe → jane, doe). Lower-case, 3+ letters.
 */
export function nameTokens(person: Person): string[] {
  const tokens = new Set<string>();
  if (person.name) {
    // "[^()]*": with "[^)]*" a name of many "(" was rescanned from each of them (quadratic).
    const withoutNoise = person.name.replace(/\([^()]*\)/g, ' ').replace(NAME_NOISE, ' ');
    for (const word of withoutNoise.split(/[\s,./]+/)) {
      const letters = word.replace(/[^\p{L}'-]/gu, '').toLowerCase();
      if (letters.length >= 3) tokens.add(letters);
    }
  }
  const local = person.address?.split('@')[0] ?? '';
  for (const part of local.split(/[._\-+0-9]+/)) {
    if (part.length >= 3) tokens.add(part);
  }
  return [...tokens];
}

/** The local part when it looks like initial + surname (plarue, pgrable), for surname matching. */
export function compactLocalPart(person: Person): string | null {
  const local = person.address?.split('@')[0] ?? '';
  return /^[a-z]{4,}$/.test(local) ? local : null;
}

/** A short label for people-facing text: the display name if any, else the address. */
export function personLabel(person: Person): string {
  return person.name ? naturalName(person.name) : (person.address ?? 'someone');
}

/** "First Last" from "Last, First M." display names; other names unchanged. */
export function naturalName(name: string): string {
  const match = /^([^,]+),\s*([^,]+)$/.exec(name.trim());
  if (!match?.[1] || !match[2]) return name.trim();
  return `${match[2].trim()} ${match[1].trim()}`;
}
