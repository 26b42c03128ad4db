import { CONTENT_SECURITY_POLICY, renderPage, type PageContent } from './layout.ts';

/** What a Lambda Function URL (payload format 2.0) takes back. */
export interface WebResponse {
  readonly statusCode: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
  readonly isBase64Encoded: false;
}

/** On every response: pages carry one-time links and personal details, so nothing is cached, framed or referred. */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy': CONTENT_SECURITY_POLICY,
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'x-robots-tag': 'noindex, nofollow',
};

/** A page: a status and what it says. */
export interface Page extends PageContent {
  readonly status: number;
}

export function pageResponse(page: Page, extraHeaders: Readonly<Record<string, string>> = {}): WebResponse {
  return {
    statusCode: page.status,
    headers: { ...SECURITY_HEADERS, 'content-type': 'text/html; charset=utf-8', ...extraHeaders },
    body: renderPage(page),
    isBase64Encoded: false,
  };
}

/** A redirect to somewhere else (Google's consent page); the body is for clients that do not follow. */
export function redirectResponse(location: string, page: Page): WebResponse {
  return pageResponse({ ...page, status: 302 }, { location });
}
