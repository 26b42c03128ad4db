import { readFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Template } from 'aws-cdk-lib/assertions';
import { createReferApp, type ReferApp } from '../../lib/refer-app.ts';
import { projectRoot } from '../../lib/constructs/refer-function.ts';

export { projectRoot };


/** The context the CDK CLI passes from cdk.json, so tests see the same feature flags. */
const cdkJsonContext = (JSON.parse(readFileSync(join(projectRoot, 'cdk.json'), 'utf8')) as { context: Record<string, unknown> })
  .context;

/** The app exactly as bin/app.ts builds it, with extra context and bundling skipped. */
export function buildApp(context: Record<string, unknown> = {}, outdir?: string): ReferApp {
  return createReferApp({
    context: { ...cdkJsonContext, 'aws:cdk:bundling-stacks': [], ...context },
    ...(outdir ? { outdir } : {}),
  });
}

export function synthTemplate(context: Record<string, unknown> = {}): Template {
  return Template.fromStack(buildApp(context).stack);
}

/** Logical id of the single resource of `type` (fails if there is not exactly one). */
export function onlyResourceId(template: Template, type: string): string {
  const ids = Object.keys(template.findResources(type));
  if (ids.length !== 1) throw new Error(`expected exactly one ${type}, found ${ids.length}`);
  return ids[0] as string;
}

export interface PolicyStatementJson {
  Effect: string;
  Action: string | string[];
  Resource: unknown;
  Condition?: Record<string, unknown>;
  Principal?: unknown;
  Sid?: string;
}

/** Every statement of every identity policy attached to the role `roleId`. */
export function roleStatements(template: Template, roleId: string): PolicyStatementJson[] {
  const policies = template.findResources('AWS::IAM::Policy', {
    Properties: { Roles: [{ Ref: roleId }] },
  }) as Record<string, { Properties: { PolicyDocument: { Statement: PolicyStatementJson[] } } }>;
  return Object.values(policies).flatMap((policy) => policy.Properties.PolicyDocument.Statement);
}

export function actionsOf(statement: PolicyStatementJson): string[] {
  return Array.isArray(statement.Action) ? statement.Action : [statement.Action];
}

export interface ValidationViolation {
  ruleName: string;
  severity: string;
  violatingConstructs: { constructPath: string }[];
  reason?: string;
}

interface ValidationReport {
  pluginReports: {
    pluginName: string;
    violations: ValidationViolation[];
    suppressedViolations?: ValidationViolation[];
  }[];
}

export interface NagResult {
  /** Unacknowledged findings of any severity, as `rule at construct path`. */
  findings: string[];
  /** Acknowledged findings: rule name and the reason given. */
  acknowledged: { ruleName: string; reason: string }[];
}

/**
 * Synthesizes the app (cdk-nag runs as a validation plugin of the app) and reads CDK's validation
 * report. An app with error findings throws `ValidationFailed` from synth; the report is written
 * first, so it is read either way.
 */
export function runNag(change?: (app: ReferApp) => void, context: Record<string, unknown> = {}): NagResult {
  const outdir = mkdtempSync(join(tmpdir(), 'refer-nag-'));
  try {
    const app = buildApp(context, outdir);
    change?.(app);
    try {
      app.app.synth();
    } catch (error) {
      // In-memory apps throw `ValidationFailed` with the report as the message.
      if (!(error instanceof Error) || !/ValidationFailed/.test(`${error.name} ${String((error as { code?: unknown }).code)}`)) {
        throw error;
      }
    }
    const report = JSON.parse(readFileSync(join(outdir, 'validation-report.json'), 'utf8')) as ValidationReport;
    return {
      findings: report.pluginReports.flatMap((plugin) =>
        plugin.violations.flatMap((violation) =>
          violation.violatingConstructs.map((where) => `${violation.ruleName} (${violation.severity}) at ${where.constructPath}`),
        ),
      ),
      acknowledged: report.pluginReports.flatMap((plugin) =>
        (plugin.suppressedViolations ?? []).map((violation) => ({
          ruleName: violation.ruleName,
          reason: violation.reason ?? '',
        })),
      ),
    };
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}
