import { naturalName, type Person } from '../message/person.ts';

/** A person with an address, as stored on an introduction. */
export interface Contact {
  readonly email: string;
  readonly name: string | null;
}

export type IntroductionStatus = 'introduced';

export interface Introduction {
  readonly id: string;
  readonly introducer: Contact;
  readonly parties: readonly Contact[];
  readonly forwardedBy: Contact | null;
  /** The registered partner this introduction belongs to: who gets the confirmation. */
  readonly owner: string;
  readonly subject: string;
  /** RFC Message-ID of the message that made the introduction, when it had one. */
  readonly messageId: string | null;
  /** The introduction this one was made in reply to, when a reply introduced someone new. */
  readonly repliesTo: string | null;
  readonly status: IntroductionStatus;
  readonly createdAt: string;
  /** The delivery that created it, and where its raw message is kept. */
  readonly deliveryId: string;
  readonly rawLocation: string;
}

export type IntroductionEventType = 'captured' | 'reply_received';

export interface IntroductionEvent {
  readonly introductionId: string;
  readonly at: string;
  readonly type: IntroductionEventType;
  /** Who caused it: a person's address, or 'system'. */
  readonly by: string;
  readonly how: 'automatic' | 'email' | 'cli' | 'reply';
  readonly detail: string;
  /** The delivery this event came from; makes the event's key unique and retries harmless. */
  readonly deliveryId: string;
}

export function contactFrom(person: Person): Contact | null {
  return person.address ? { email: person.address, name: person.name } : null;
}

/** How to name someone in an email: their display name, else a name read off jane.doe@..., else the address. */
export function contactLabel(contact: Contact): string {
  return contact.name ? naturalName(contact.name) : (nameFromAddress(contact.email) ?? contact.email);
}

/** "Jane Doe" from jane.doe@example.com or jane_doe@...; null when the local part is not two or three name-like words. */
export function nameFromAddress(email: string): string | null {
  const words = (email.split('@')[0] ?? '').split(/[._]/);
  if (words.length < 2 || words.length > 3 || !words.every((word) => /^[a-z]{2,}(-[a-z]{2,})?$/i.test(word))) return null;
  const capitalize = (word: string) => word.charAt(0).toUpperCase() + word.slice(1).toLowerCase();
  return words.map((word) => word.split('-').map(capitalize).join('-')).join(' ');
}
