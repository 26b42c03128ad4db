import { cleanDisplayName, normalizeAddress, uniquePeople, type Person } from './person.ts';

const MAX_ADDRESS_LIST_LENGTH = 4_000;

/**
 * Parses the value of a From/To/Cc line written inside a body (a forwarded or quoted header block),
 * in the shapes mail clients use: `Name <a@b>`, `Name [mailto:a@b]`, `"Last, First" <a@b>`,
 * bare addresses, and Outlook's name-only lists (`Last, First; Other, Name`).
 */
export function parseAddressList(rawValue: string): Person[] {
  const value = rawValue
    .slice(0, MAX_ADDRESS_LIST_LENGTH)
    .replace(/\[mailto:([^\]\s]+)\]/gi, '<$1>')
    .replace(/>@[A-Za-z]+\b/g, '>')
    .replace(/\s+/g, ' ')
    .trim();
  if (!value) return [];
  if (value.includes('@') || value.includes('<')) {
    return uniquePeople(splitOutsideQuotes(value, /[,;]/).map(parseMailbox).filter(isPerson));
  }
  return uniquePeople(splitNameOnlyList(value).map((name) => ({ address: null, name: cleanDisplayName(name) })).filter(hasName));
}

function parseMailbox(segment: string): Person | null {
  const angle = /<([^<>]*)>/.exec(segment);
  if (angle) {
    const address = normalizeAddress(angle[1]);
    const name = cleanDisplayName(segment.slice(0, angle.index));
    return address || name ? { address, name } : null;
  }
  const token = segment.split(' ').find((word) => word.includes('@'));
  const address = normalizeAddress(token);
  if (address) {
    const name = cleanDisplayName(segment.replace(token ?? '', '').replace(/[()]/g, ''));
    return { address, name };
  }
  // Lotus Notes style "Vince J Kaminski/HOU/ECT@ENRON": keep the name.
  const name = cleanDisplayName(segment.replace(/\/.*$/, '').replace(/@.*$/, ''));
  return name ? { address: null, name } : null;
}

function splitNameOnlyList(value: string): string[] {
  if (value.includes(';')) return value.split(';').map((part) => part.trim()).filter(Boolean);
  const parts = value.split(',').map((part) => part.trim()).filter(Boolean);
  // "Bridges, Michael" is one person written surname first; "Jane Doe, Bob Roe" is two people.
  const everyPartIsFullName = parts.length > 1 && parts.every((part) => part.split(' ').length >= 2);
  return everyPartIsFullName ? parts : [value];
}

function splitOutsideQuotes(value: string, separator: RegExp): string[] {
  const parts: string[] = [];
  let current = '';
  let inQuotes = false;
  let angleDepth = 0;
  for (const character of value) {
    if (character === '"') inQuotes = !inQuotes;
    else if (character === '<') angleDepth += 1;
    else if (character === '>') angleDepth = Math.max(0, angleDepth - 1);
    if (!inQuotes && angleDepth === 0 && separator.test(character)) {
      parts.push(current);
      current = '';
    } else {
      current += character;
    }
  }
  parts.push(current);
  return parts.map((part) => part.trim()).filter(Boolean);
}

function isPerson(person: Person | null): person is Person {
  return person !== null;
}

function hasName(person: Person): boolean {
  return person.name !== null;
}
