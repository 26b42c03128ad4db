import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SesRecordSchema } from '@aws-lambda-powertools/parser/schemas/ses';
import { LambdaFunctionUrlSchema } from '@aws-lambda-powertools/parser/schemas/lambda';
import { describe, expect, it } from 'vitest';
import { sesCaptureEventSchema } from '../../../functions/handlers/ses-event.ts';
import { functionUrlEventSchema } from '../../../functions/web/request.ts';
import { CORPUS_DIR } from '../../support/corpus.ts';

/**
 * The edge schemas are written out instead of built on Powertools' (which import zod whole and
 * so keep all of it in the bundles); here Powertools' schemas are the yardstick: what they accept,
 * ours accept and read the same.
 */
describe('edge schemas agree with Powertools', () => {
  it('reads every Lambda-action SES sample Powertools accepts, with the same mail fields', () => {
    const samples = ['powertools-typescript_ses-base.json', 'aws-lambda-go_ses-lambda-event.json', 'sam-cli_SesEmailReceiving.json', 'awsdocs_lambda-action-event.json'];
    let accepted = 0;
    for (const sample of samples) {
      const event = JSON.parse(readFileSync(join(CORPUS_DIR, 'ses', sample), 'utf8')) as { Records: unknown[] };
      for (const record of event.Records) {
        const theirs = SesRecordSchema.safeParse(record);
        if (!theirs.success) continue;
        accepted += 1;
        const ours = sesCaptureEventSchema.parse({ Records: [record] }).Records[0];
        expect(ours?.ses.mail).toEqual(theirs.data.ses.mail);
        expect(ours?.ses.receipt.recipients).toEqual(theirs.data.ses.receipt.recipients);
      }
    }
    expect(accepted).toBeGreaterThan(0);
  });

  it('still refuses a record that is not from SES or has no message id', () => {
    const event = JSON.parse(readFileSync(join(CORPUS_DIR, 'ses', 'powertools-typescript_ses-base.json'), 'utf8')) as { Records: Record<string, unknown>[] };
    const record = event.Records[0] as { eventSource: string; ses: { mail: Record<string, unknown> } };
    expect(sesCaptureEventSchema.safeParse({ Records: [{ ...record, eventSource: 'aws:sns' }] }).success).toBe(false);
    const { messageId: _dropped, ...mail } = record.ses.mail;
    expect(sesCaptureEventSchema.safeParse({ Records: [{ ...record, ses: { ...record.ses, mail } }] }).success).toBe(false);
  });

  it('reads a Function URL event Powertools accepts, with the same fields, and refuses a bad method or path', () => {
    const event = {
      version: '2.0',
      routeKey: '$default',
      rawPath: '/answer',
      rawQueryString: 'token=a.b&x=1&x=2',
      cookies: ['a=1'],
      headers: { host: 'abc.lambda-url.us-east-1.on.aws', 'content-type': 'application/x-www-form-urlencoded' },
      queryStringParameters: { token: 'a.b', x: '1,2' },
      requestContext: {
        accountId: '123456789012',
        apiId: 'abc',
        domainName: 'abc.lambda-url.us-east-1.on.aws',
        domainPrefix: 'abc',
        http: { method: 'POST', path: '/answer', protocol: 'HTTP/1.1', sourceIp: '203.0.113.7', userAgent: 'Mozilla/5.0' },
        requestId: 'id',
        routeKey: '$default',
        stage: '$default',
        time: '24/Nov/2026:05:00:00 +0000',
        timeEpoch: 1795496400000,
      },
      body: 'dG9rZW49YS5i',
      isBase64Encoded: true,
    };
    const theirs = LambdaFunctionUrlSchema.parse(event);
    const ours = functionUrlEventSchema.parse(event);
    expect(ours).toEqual({
      rawPath: theirs.rawPath,
      rawQueryString: theirs.rawQueryString,
      headers: theirs.headers,
      queryStringParameters: theirs.queryStringParameters,
      body: theirs.body,
      isBase64Encoded: theirs.isBase64Encoded,
      requestContext: { domainName: theirs.requestContext.domainName, http: { method: theirs.requestContext.http.method } },
    });
    expect(functionUrlEventSchema.safeParse({ ...event, requestContext: { ...event.requestContext, http: { method: 'TRACE' } } }).success).toBe(false);
    expect(functionUrlEventSchema.safeParse({ ...event, rawPath: 'answer' }).success).toBe(false);
  });
});
