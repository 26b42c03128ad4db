import { html, trustedHtml, type SafeHtml } from '../../web/html.ts';
import { PRODUCT_NAME } from '../../web/layout.ts';

/**
 * The dashboard's page frame: a skip link, the navigation, a live-status line and one `<main>`.
 * Its stylesheet and script are files served by the dashboard itself (no external assets), so
 * the Content-Security-Policy allows nothing but this origin.
 */
export const DASHBOARD_PAGES = [
  { path: '/', label: 'Introductions' },
  { path: '/partners', label: 'Partners & pairs' },
  { path: '/calendar', label: 'Calendar' },
  { path: '/outbox', label: 'Outbox' },
  { path: '/schedules', label: 'Schedules' },
  { path: '/inbound', label: 'Inbound' },
] as const;

export type DashboardSection = (typeof DASHBOARD_PAGES)[number]['path'];

export const ASSET_PATHS = { style: '/assets/dashboard.css', script: '/assets/dashboard.js' } as const;

/** Only this origin: the stylesheet, the script, the live-update stream, the sandboxed email frames. */
export const DASHBOARD_CSP = [
  "default-src 'none'",
  "style-src 'self'",
  "script-src 'self'",
  "connect-src 'self'",
  "img-src 'self'",
  "frame-src 'self'",
  "form-action 'self'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
].join('; ');

export interface DashboardPage {
  readonly title: string;
  readonly section: DashboardSection | null;
  readonly body: SafeHtml;
}

export function renderDashboardPage(page: DashboardPage): string {
  const nav = DASHBOARD_PAGES.map(
    (item) => html`<li><a href="${item.path}"${item.path === page.section ? trustedHtml(' aria-current="page"') : ''}>${item.label}</a></li>`,
  );
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1">
<meta name="robots" content="noindex,nofollow">
<title>${page.title} · ${PRODUCT_NAME} (local)</title>
<link rel="stylesheet" href="${ASSET_PATHS.style}">
<script src="${ASSET_PATHS.script}" defer></script>
</head>
<body>
<a class="skip" href="#main">Skip to content</a>
<header class="top">
<p class="brand">${PRODUCT_NAME} <span class="where">local mode</span></p>
<nav aria-label="Dashboard"><ul>${nav}</ul></nav>
<p class="live" id="live-status" role="status" data-state="off" hidden></p>
</header>
<main id="main" tabindex="-1">
<h1>${page.title}</h1>
${page.body}
</main>
</body>
</html>
`.value;
}

/**
 * System fonts, one accent colour, tables that scroll sideways on a phone rather than squeeze,
 * large touch targets, a visible focus ring. Text contrast stays above WCAG AA (#1b1b1b and
 * #1a5fb4 on white; the badge colours are dark on light tints).
 */
export const DASHBOARD_STYLE = `:root{color-scheme:light;--accent:#1a5fb4;--text:#1b1b1b;--muted:#4a4a4a;--line:#d0d4da;--tint:#f1f5fb}
*{box-sizing:border-box}
body{margin:0;font-family:system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;font-size:1rem;line-height:1.5;color:var(--text);background:#fff}
a{color:var(--accent)}
:focus-visible{outline:3px solid var(--text);outline-offset:2px}
.skip{position:absolute;left:-999px;top:0;background:#fff;padding:.5rem 1rem;z-index:2}
.skip:focus{left:.5rem}
.top{border-bottom:1px solid var(--line);padding:.5rem 1rem;display:flex;flex-wrap:wrap;align-items:center;gap:.25rem 1.5rem}
.brand{margin:0;font-weight:700}
.where{font-weight:400;color:var(--muted);font-size:.875rem;margin-left:.25rem}
nav ul{list-style:none;margin:0;padding:0;display:flex;flex-wrap:wrap;gap:.25rem}
nav a{display:inline-block;padding:.6rem .7rem;min-height:44px;text-decoration:none;border-radius:.35rem}
nav a:hover{background:var(--tint)}
nav a[aria-current=page]{background:var(--accent);color:#fff}
.live[hidden]{display:none}
.live{margin:0 0 0 auto;font-size:.875rem;color:var(--muted)}
.live::before{content:"";display:inline-block;width:.6rem;height:.6rem;border-radius:50%;background:#8a8f98;margin-right:.4rem}
.live[data-state=live]::before{background:#1e7b34}
main{max-width:78rem;margin:0 auto;padding:0 1rem 3rem}
main:focus{outline:none}
h1{font-size:1.6rem;margin:1rem 0}
h2{font-size:1.25rem;margin:2rem 0 .75rem}
h3{font-size:1.05rem;margin:1.25rem 0 .5rem}
p,ul,ol,dl,form{margin:0 0 1rem}
.note,.empty{color:var(--muted)}
.table-wrap{overflow-x:auto;margin:0 0 1rem;position:relative}
table{border-collapse:collapse;width:100%;font-size:.95rem}
caption{text-align:left;font-weight:600;padding:.25rem 0}
th,td{text-align:left;vertical-align:top;padding:.5rem .6rem;border-bottom:1px solid var(--line)}
th{font-weight:600;background:#f6f7f9;white-space:nowrap}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
tr.fresh td{background:#fff8db}
.badge{display:inline-block;padding:.05rem .5rem;border-radius:1rem;font-size:.85rem;font-weight:600;white-space:nowrap;border:1px solid}
.tone-new{background:#eef3fb;color:#123f78;border-color:#9bb5dc}
.tone-waiting{background:#fff4e0;color:#6b3d00;border-color:#e0b060}
.tone-booked{background:#e6f4ea;color:#0f5223;border-color:#8cc59c}
.tone-good{background:#e3f5f2;color:#0b4f45;border-color:#7cc3b7}
.tone-closed{background:#f0f0f0;color:#333;border-color:#b0b0b0}
.tone-bad{background:#fdecec;color:#7a0010;border-color:#e59aa2}
.filters{display:flex;flex-wrap:wrap;gap:.75rem 1rem;align-items:flex-end;padding:.75rem;background:var(--tint);border-radius:.4rem}
.filters label{display:block;font-weight:600;font-size:.9rem;margin-bottom:.2rem}
select,input[type=date]{font:inherit;min-height:44px;padding:.4rem .5rem;border:2px solid var(--muted);border-radius:.35rem;background:#fff;color:var(--text)}
button,.button{display:inline-block;min-height:44px;padding:.5rem 1rem;font:inherit;font-weight:600;white-space:nowrap;color:#fff;background:var(--accent);border:2px solid var(--accent);border-radius:.35rem;cursor:pointer;text-decoration:none}
button:hover,.button:hover{background:#154c90}
.secondary{background:#fff;color:var(--accent)}
.secondary:hover{background:var(--tint)}
.counts{list-style:none;padding:0;display:flex;flex-wrap:wrap;gap:.5rem;margin-bottom:1rem}
.counts a[aria-current=page]{font-weight:700}
.counts a{text-decoration:none}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(17rem,1fr));gap:1rem;padding:0;list-style:none}
.card{border:1px solid var(--line);border-radius:.5rem;padding:1rem}
.card h3{margin-top:0}
dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:.3rem 1rem}
dl.facts dt{font-weight:600;color:var(--muted)}
dl.facts dd{margin:0}
.flash{padding:.75rem 1rem;border-left:4px solid #1e7b34;background:#e6f4ea}
.flash.problem{border-color:#a4000f;background:#fdecec}
.thread{list-style:none;padding:0}
.thread li{border-left:3px solid var(--line);padding:.25rem 0 .25rem 1rem;margin:0 0 1rem}
.thread .sent{border-left-color:var(--accent)}
blockquote,pre.mail{white-space:pre-wrap;word-break:break-word;margin:.5rem 0;padding:.75rem;background:#f6f7f9;border-radius:.35rem;font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:.9rem}
blockquote{font-family:inherit;font-size:.95rem}
.mail-views{display:grid;grid-template-columns:1fr;gap:1rem}
@media (min-width:60rem){.mail-views{grid-template-columns:1fr 1fr}}
iframe.mail{width:100%;height:34rem;border:1px solid var(--line);border-radius:.35rem;background:#fff}
.days{list-style:none;padding:0;display:grid;grid-template-columns:1fr;gap:.5rem}
.days>li{border:1px solid var(--line);border-radius:.4rem;padding:.5rem;min-height:4rem}
.days>li.today{border-color:var(--accent);box-shadow:inset 0 3px 0 var(--accent)}
.days>li.past{background:#fafafa}
.days h3{margin:0 0 .25rem;font-size:.95rem}
.days ul{list-style:none;padding:0;margin:0}
.days ul li{margin:.25rem 0;padding:.35rem;border-radius:.3rem;background:var(--tint);font-size:.9rem}
.days ul li.one-to-one{background:#e3f5f2}
@media (max-width:47.99rem){.days>li.quiet{display:none}}
@media (min-width:48rem){.days{grid-template-columns:repeat(7,1fr)}}
.chart svg{max-width:100%;height:auto}
.legend{list-style:none;padding:0;display:flex;gap:1rem;font-size:.9rem}
.swatch{display:inline-block;width:.9rem;height:.9rem;border-radius:.15rem;vertical-align:-.1rem;margin-right:.35rem}
.swatch.given{background:#1a5fb4}
.swatch.received{background:#c25e00}
.visually-hidden{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}
details summary{cursor:pointer;min-height:44px;padding:.6rem 0}
@media (max-width:40rem){
table.stack thead{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0)}
table.stack tr{display:block;border-bottom:1px solid var(--line);padding:.5rem 0}
table.stack td{display:block;position:relative;border:0;padding:.2rem .25rem .2rem 6.5rem;min-height:1.9rem}
table.stack td::before{content:attr(data-label);position:absolute;left:.25rem;width:5.75rem;font-weight:600;color:var(--muted)}
table.stack td>ul{margin:0}
}
`;

/**
 * Live updates: the server sends an event on every change to the table (its stream); the page
 * fetches itself again and swaps the `[data-live]` regions, keeping focus where it was.
 */
export const DASHBOARD_SCRIPT = `(() => {
  const status = document.getElementById('live-status');
  const regions = () => Array.from(document.querySelectorAll('[data-live][id]'));
  if (!status || !('EventSource' in window) || regions().length === 0) return;
  let timer = null;
  const say = (text, state) => { status.textContent = text; status.dataset.state = state; status.hidden = false; };
  const refresh = async () => {
    timer = null;
    const response = await fetch(location.href, { cache: 'no-store', headers: { accept: 'text/html' } });
    if (!response.ok) return;
    const next = new DOMParser().parseFromString(await response.text(), 'text/html');
    for (const region of regions()) {
      const replacement = next.getElementById(region.id);
      if (!replacement) continue;
      const focused = region.contains(document.activeElement) ? document.activeElement.id : '';
      region.replaceWith(document.importNode(replacement, true));
      if (focused) document.getElementById(focused)?.focus();
    }
    say('Live: updated ' + new Date().toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit' }), 'live');
  };
  const source = new EventSource('/events');
  source.addEventListener('open', () => say('Live', 'live'));
  source.addEventListener('error', () => say('Reconnecting…', 'off'));
  source.addEventListener('change', () => {
    if (timer === null) timer = setTimeout(() => { refresh().catch(() => say('Update failed; reload the page', 'off')); }, 150);
  });
})();
`;
