import { readFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Stack, type CfnElement } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import { createReferApp, type ReferApp } from '../../lib/refer-app.ts';
import { projectRoot } from '../../lib/constructs/refer-function.ts';

export { projectRoot };


/** The context the CDK CLI passes from cdk.json, so tests see the same feature flags. */
const cdkJsonContext = (JSON.parse(readFileSync(join(projectRoot, 'cdk.json'), 'utf8')) as { context: Record<string, unknown> })
  .context;

/**
 * The app exactly as bin/app.ts builds it, with extra context and bundling skipped.
 * `builtinCloudFormationValidation: false` skips CDK's own CloudFormation schema check (about 2 s a
 * synth); the cdk-nag test and the CLI synth test keep it on, so the template is still checked.
 */
export function buildApp(
  context: Record<string, unknown> = {},
  outdir?: string,
  options: { builtinCloudFormationValidation?: boolean } = {},
): ReferApp {
  return createReferApp({
    context: { ...cdkJsonContext, 'aws:cdk:bundling-stacks': [], ...context },
    ...(outdir ? { outdir } : {}),
    ...options,
  });
}

export function synthTemplate(context: Record<string, unknown> = {}): Template {
  return synthStack(context).template;
}

/** The synthesized template with the app, and the logical id of any construct in it. */
export interface SynthesizedStack {
  readonly template: Template;
  readonly app: ReferApp;
  /** Logical id of an L1 resource, or of the default child (`node.defaultChild`) of an L2 construct. */
  readonly id: (construct: IConstruct) => string;
}

export function synthStack(context: Record<string, unknown> = {}): SynthesizedStack {
  const app = buildApp(context, undefined, { builtinCloudFormationValidation: false });
  const template = Template.fromStack(app.stack);
  const id = (construct: IConstruct): string => {
    const element = (construct.node.defaultChild ?? construct) as CfnElement;
    return Stack.of(element).getLogicalId(element);
  };
  return { template, app, id };
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

/** Every statement of every identity policy in the template, with the roles it is attached to. */
export function allPolicyStatements(template: Template): { roles: unknown; statement: PolicyStatementJson }[] {
  const policies = template.findResources('AWS::IAM::Policy') as Record<
    string,
    { Properties: { Roles: unknown; PolicyDocument: { Statement: PolicyStatementJson[] } } }
  >;
  return Object.values(policies).flatMap((policy) =>
    policy.Properties.PolicyDocument.Statement.map((statement) => ({ roles: policy.Properties.Roles, statement })),
  );
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
 * Synthesizes the app (cdk-nag runs as a validation plugin of the app, next to CDK's own
 * CloudFormation schema check unless `builtinCloudFormationValidation: false`) and reads CDK's
 * validation report. An app with error findings throws `ValidationFailed` from synth; the report is written
 * first, so it is read either way.
 */
export function runNag(
  change?: (app: ReferApp) => void,
  context: Record<string, unknown> = {},
  options: { builtinCloudFormationValidation?: boolean } = {},
): NagResult {
  const outdir = mkdtempSync(join(tmpdir(), 'refer-nag-'));
  try {
    const app = buildApp(context, outdir, options);
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

/** The environment variables of a function in the template. */
export function functionEnvironment(template: Template, functionId: string): Record<string, unknown> {
  const fn = template.findResources('AWS::Lambda::Function')[functionId] as
    | { Properties: { Environment: { Variables: Record<string, unknown> } } }
    | undefined;
  if (!fn) throw new Error(`no function ${functionId}`);
  return fn.Properties.Environment.Variables;
}

export interface Resource<P = Record<string, unknown>> {
  Properties: P;
  DeletionPolicy?: string;
}

/** One resource of the template by logical id (fails if there is none). */
export function resourceOf<P = Record<string, unknown>>(template: Template, logicalId: string): Resource<P> {
  const resource = (template.toJSON() as { Resources: Record<string, Resource<P>> }).Resources[logicalId];
  if (!resource) throw new Error(`no resource ${logicalId}`);
  return resource;
}

/** The statements whose actions all belong to `service`. */
export function serviceStatements(statements: PolicyStatementJson[], service: string): PolicyStatementJson[] {
  return statements.filter((s) => actionsOf(s).every((a) => a.startsWith(`${service}:`)));
}

/** The resources of a statement, sorted, for comparing sets. */
export function sortedResources(statement: PolicyStatementJson | undefined): unknown[] {
  const resource = statement?.Resource;
  const resources: unknown[] = Array.isArray(resource) ? (resource as unknown[]) : [resource];
  return [...resources].sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
}

/**
 * Whether a Lambda event filter pattern (exact-match arrays only, the form the stack uses)
 * matches an event, as Lambda evaluates it.
 */
export function matchesFilter(pattern: unknown, event: unknown): boolean {
  if (Array.isArray(pattern)) {
    if (!pattern.every((value) => typeof value === 'string')) throw new Error('only exact-match filters are evaluated here');
    return typeof event === 'string' && pattern.includes(event);
  }
  if (typeof pattern !== 'object' || pattern === null) throw new Error('unexpected filter pattern');
  if (typeof event !== 'object' || event === null) return false;
  return Object.entries(pattern).every(([key, value]) => matchesFilter(value, (event as Record<string, unknown>)[key]));
}

/** The environment with every reference replaced by a value of the kind it resolves to, as at cold start. */
export function resolvedEnvironment(env: Record<string, unknown>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(env).map(([key, value]) => [
      key,
      typeof value === 'string' ? value : key === 'WEB_BASE_URL' ? 'https://abc.lambda-url.eu-west-1.on.aws/' : `resolved-${key}`,
    ]),
  );
}
