import type { OutboxEntry } from '../../adapters/dynamodb/outbox-store.ts';
import type { SentMailParts } from '../../adapters/local/outbox-folder-sender.ts';
import type { SentEmail } from './dashboard-data.ts';
import { html, type SafeHtml } from '../../web/html.ts';
import type { DashboardPage } from './dashboard-layout.ts';
import { PURPOSE_LABELS, relativeTime, type TimeFormat } from './format.ts';

export const EMAIL_PATHS = { view: '/outbox/email', html: '/outbox/email.html' } as const;

export function emailLink(outboxKey: string, path: string = EMAIL_PATHS.view): string {
  return `${path}?key=${encodeURIComponent(outboxKey)}`;
}

/** Every email the system sent, newest first. */
export function outboxPage(emails: readonly OutboxEntry[], format: TimeFormat, now: Date): DashboardPage {
  const rows = emails.map(
    (email) => html`<tr>
<td data-label="Sent">${sentCell(email, format, now)}</td>
<td data-label="To">${email.to.join(', ')}</td>
<td data-label="Subject"><a href="${emailLink(email.outboxKey)}">${email.subject}</a></td>
<td data-label="What for">${PURPOSE_LABELS[email.purpose] ?? email.purpose}</td>
<td data-label="About">${email.introductionId ? html`<a href="/introductions/${encodeURIComponent(email.introductionId)}">introduction</a>` : ''}</td>
</tr>`,
  );
  const body = html`<div id="outbox" data-live>
<p>${emails.length} emails, newest first. Each is also kept as an <code>.eml</code> file in the outbox folder of the data directory.</p>
${
  emails.length === 0
    ? html`<p class="empty">Nothing sent yet.</p>`
    : html`<div class="table-wrap" role="region" aria-label="Sent emails" tabindex="0"><table class="stack">
<thead><tr><th scope="col">Sent</th><th scope="col">To</th><th scope="col">Subject</th><th scope="col">What for</th><th scope="col">About</th></tr></thead>
<tbody>${rows}</tbody>
</table></div>`
}
</div>`;
  return { title: 'Outbox', section: '/outbox', body };
}

/** When it was sent; a job run ahead of time (`refer jobs run --at`) sends as of that time, and says so. */
function sentCell(email: OutboxEntry, format: TimeFormat, now: Date): SafeHtml {
  if (!email.sentAt) return html`<span class="badge tone-waiting">sending</span>`;
  const ahead = new Date(email.sentAt) > now;
  return html`${format.element(email.sentAt)}<br><span class="note">${ahead ? `run ahead: as of ${relativeTime(email.sentAt, now)}` : relativeTime(email.sentAt, now)}</span>`;
}

/** One email as its recipient sees it: the plain-text part, and the HTML part in a sandboxed frame. */
export function emailPage({ entry: email, body: parts }: SentEmail, format: TimeFormat): DashboardPage {
  const body = html`<p><a href="/outbox">All sent emails</a>${email.introductionId ? html` · <a href="/introductions/${encodeURIComponent(email.introductionId)}">Its introduction</a>` : ''}</p>
<dl class="facts">
<dt>To</dt><dd>${email.to.join(', ')}</dd>
<dt>Subject</dt><dd>${email.subject}</dd>
<dt>Sent</dt><dd>${email.sentAt ? format.element(email.sentAt) : 'not yet'}</dd>
<dt>What for</dt><dd>${PURPOSE_LABELS[email.purpose] ?? email.purpose}</dd>
<dt>Message-ID</dt><dd><code>${email.messageId ?? '—'}</code></dd>
</dl>
${parts ? mailViews(email.outboxKey, parts) : html`<p class="note">${email.sentAt ? 'Its .eml file is no longer in the outbox folder of the data directory.' : 'It is being sent: it shows here once it is in the outbox folder.'}</p>`}`;
  return { title: email.subject, section: '/outbox', body };
}

function mailViews(outboxKey: string, parts: SentMailParts): SafeHtml {
  return html`<div class="mail-views">
<section aria-labelledby="html-part"><h2 id="html-part">As HTML</h2>
${
  parts.html
    ? html`<iframe class="mail" title="The email as HTML" sandbox="allow-popups allow-popups-to-escape-sandbox" src="${emailLink(outboxKey, EMAIL_PATHS.html)}"></iframe>`
    : html`<p class="note">This email has no HTML part.</p>`
}
</section>
<section aria-labelledby="text-part"><h2 id="text-part">As plain text</h2>
<pre class="mail">${linkify(parts.text)}</pre>
</section>
</div>`;
}

/**
 * The HTML part alone, for the sandboxed frame: links open in a new tab (as in a mail client),
 * and its own policy lets it use inline styles but run nothing and load nothing.
 */
export function emailHtmlDocument(htmlPart: string): string {
  const base = '<base target="_blank">';
  return /<head[^>]*>/i.test(htmlPart) ? htmlPart.replace(/<head[^>]*>/i, (head) => `${head}${base}`) : `${base}${htmlPart}`;
}

export const EMAIL_HTML_CSP = [
  "default-src 'none'",
  "style-src 'unsafe-inline'",
  'img-src data:',
  "frame-ancestors 'self'",
  'sandbox allow-popups allow-popups-to-escape-sandbox',
].join('; ');

const URL_PATTERN = /https?:\/\/[^\s<>"'()]+[^\s<>"'().,;:!?]/g;

/** Plain text with its web addresses as links, as mail clients show it. Everything else is escaped. */
export function linkify(text: string): SafeHtml {
  const parts: SafeHtml[] = [];
  let last = 0;
  for (const match of text.matchAll(URL_PATTERN)) {
    parts.push(html`${text.slice(last, match.index)}`);
    parts.push(html`<a href="${match[0]}" target="_blank" rel="noreferrer">${match[0]}</a>`);
    last = match.index + match[0].length;
  }
  parts.push(html`${text.slice(last)}`);
  return html`${parts}`;
}
