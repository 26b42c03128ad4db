import { nameFromAddress } from '../introductions/introduction.ts';
import { naturalName } from '../message/person.ts';
import { escapeHtml } from '../shared/html.ts';

/** The HTML frame of every email: one readable column, system fonts, no remote assets. */
export function emailPage(parts: readonly string[]): string {
  return [
    '<!doctype html><html><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"></head>',
    '<body style="font-family:-apple-system,Segoe UI,Helvetica,Arial,sans-serif;font-size:16px;line-height:1.5;color:#222;max-width:560px;margin:0 auto;padding:16px">',
    ...parts,
    '</body></html>',
  ].join('\n');
}

/** A one-click link that looks like a button in every mail client (an `<a>`, not a form). */
export function emailButton(label: string, url: string): string {
  return `<a href="${escapeHtml(url)}" style="display:inline-block;margin:4px 0;padding:10px 16px;border-radius:6px;background:#1a5fb4;color:#fff;text-decoration:none">${escapeHtml(label)}</a>`;
}

/** "Sam" for Sam Lee, Lee, Sam or sam.lee@...; "there" when nothing better is known. */
export function firstName(person: { readonly email: string; readonly name: string | null }): string {
  const name = person.name?.trim() ? naturalName(person.name) : nameFromAddress(person.email);
  return name ? (name.split(/\s+/)[0] ?? name) : 'there';
}
