import { createHash } from 'node:crypto';
import { html, trustedHtml, type SafeHtml } from './html.ts';

/** The name people know the system by (the sender name of its emails). */
export const PRODUCT_NAME = 'Referral desk';

/**
 * The one stylesheet, inline (no external assets): one readable column, system fonts, large
 * touch targets, a visible focus ring, colours well above WCAG AA contrast (text #1b1b1b and
 * links/buttons #1a5fb4 on white are 16.9:1 and 6.3:1; errors #a4000f 8.1:1; field borders #4a4a4a 8.9:1).
 */
const STYLE = [
  ':root{color-scheme:light}',
  '*{box-sizing:border-box}',
  'body{margin:0;font-family:system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;font-size:1.0625rem;line-height:1.55;color:#1b1b1b;background:#fff}',
  'header,main{max-width:36rem;margin:0 auto;padding:0 1.25rem}',
  'header{padding-top:1rem;color:#4a4a4a;font-size:.95rem}',
  'main{padding-bottom:3rem}',
  'h1{font-size:1.5rem;line-height:1.25;margin:.75rem 0 1rem}',
  'p,ul,form{margin:0 0 1rem}',
  'a{color:#1a5fb4}',
  '.when{font-size:1.125rem;padding:.75rem 1rem;border-left:4px solid #1a5fb4;background:#f1f5fb}',
  '.local{display:block;margin-top:.25rem;font-size:1rem;color:#333}',
  '[hidden]{display:none!important}',
  '.times{list-style:none;padding:0}',
  '.times li{margin:.5rem 0}',
  '.button,button{display:inline-block;min-height:44px;padding:.65rem 1.4rem;font:inherit;font-weight:600;line-height:1.4;color:#fff;background:#1a5fb4;border:2px solid #1a5fb4;border-radius:.4rem;text-decoration:none;cursor:pointer}',
  '.button:hover,button:hover{background:#154c90;border-color:#154c90}',
  ':focus-visible{outline:3px solid #1b1b1b;outline-offset:3px}',
  '.note{color:#4a4a4a;font-size:.95rem}',
  'label{display:block;font-weight:600;margin:0 0 .35rem}',
  'input[type=text]{display:block;width:100%;max-width:18rem;min-height:44px;margin:0 0 .35rem;padding:.5rem .75rem;font:inherit;color:#1b1b1b;background:#fff;border:2px solid #4a4a4a;border-radius:.4rem}',
  'input[aria-invalid=true]{border-color:#a4000f}',
  '.error{color:#a4000f;font-weight:600}',
  '.answer{font-size:1.125rem;padding:.75rem 1rem;border-left:4px solid #1a5fb4;background:#f1f5fb}',
].join('\n');

/**
 * Shows each proposed time in the viewer's own time zone as well (the server only knows the
 * calendar owner's). Reads `data-start`/`data-end`/`data-zone` and writes text only.
 */
const LOCAL_TIME_SCRIPT = `(() => {
  const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  if (!zone) return;
  const day = new Intl.DateTimeFormat('en-GB', { timeZone: zone, weekday: 'short', day: 'numeric', month: 'short' });
  const time = new Intl.DateTimeFormat('en-GB', { timeZone: zone, hour: '2-digit', minute: '2-digit', hour12: false });
  for (const element of document.querySelectorAll('[data-start][data-end][data-zone]')) {
    const target = element.querySelector('[data-local]');
    const start = new Date(element.getAttribute('data-start'));
    const end = new Date(element.getAttribute('data-end'));
    if (!target || Number.isNaN(start.getTime()) || Number.isNaN(end.getTime())) continue;
    target.textContent = zone === element.getAttribute('data-zone')
      ? 'That is your time zone too.'
      : day.format(start) + ', ' + time.format(start) + '\\u2013' + time.format(end) + ' your time (' + zone + ')';
    target.hidden = false;
  }
})();`;

const sha256 = (text: string): string => `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;

/**
 * Nothing from anywhere else, nothing inline but the stylesheet and the script above (by hash),
 * forms only to this site, never in a frame.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  `style-src ${sha256(STYLE)}`,
  `script-src ${sha256(LOCAL_TIME_SCRIPT)}`,
  "img-src 'none'",
  "form-action 'self'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
].join('; ');

export interface PageContent {
  /** The page's h1, also its title. */
  readonly heading: string;
  readonly body: SafeHtml;
  /** The page shows times to convert to the viewer's zone. */
  readonly localTimes?: boolean;
}

export function renderPage(content: PageContent): string {
  const script = content.localTimes ? html`<script>${trustedHtml(LOCAL_TIME_SCRIPT)}</script>` : null;
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1">
<meta name="robots" content="noindex,nofollow">
<title>${content.heading} · ${PRODUCT_NAME}</title>
<style>${trustedHtml(STYLE)}</style>
</head>
<body>
<header><p>${PRODUCT_NAME}</p></header>
<main>
<h1>${content.heading}</h1>
${content.body}
</main>
${script}
</body>
</html>
`.value;
}
