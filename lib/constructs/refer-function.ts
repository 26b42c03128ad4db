import { Duration } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Repository root: `functions/`, `package-lock.json` and `node_modules/` live here. */
export const projectRoot = fileURLToPath(new URL('../../', import.meta.url));

/**
 * esbuild's ESM output still contains `require` calls for CommonJS dependencies; Node's ESM has no
 * `require`, so every bundle starts by making one.
 */
export const esmRequireBanner = "import{createRequire}from'module';const require=createRequire(import.meta.url);";

/**
 * Modules the bundles replace (esbuild aliases, paths relative to the repository root). Local mode
 * and the tests run the real ones; test/unit/mail/charset-shims.test.ts reads the corpus both ways.
 * - iconv-lite and encoding-japanese (libmime's charset decoders, ~570 KB of tables): Node's own
 *   ICU converters and small single-byte tables.
 * - libmime: mailparser imports its ESM build and mailsplit requires its CommonJS build, so a bundle
 *   held both copies; the CommonJS one serves both (its export is the same instance the ESM default is).
 * - he (mailparser's HTML escaping, ~80 KB of named-reference tables): its default encoding, which
 *   is all mailparser uses with the capture's parse options.
 * - entities: html-to-text brings versions 4 and 7 (~60 KB twice over); version 7 serves both.
 */
export const bundleAliases: Readonly<Record<string, string>> = {
  'iconv-lite': './functions/adapters/mail/charsets/iconv-lite-shim.ts',
  'encoding-japanese': './functions/adapters/mail/charsets/encoding-japanese-shim.ts',
  libmime: './node_modules/libmime/dist/cjs/libmime.js',
  he: './functions/adapters/mail/he-shim.ts',
  entities: './functions/adapters/mail/entities',
};

/** Props for `ReferFunction`. */
export interface ReferFunctionProps {
  /**
   * The handler module, relative to the repository root, e.g. `functions/handlers/capture.ts`.
   * It must export `handler` and lie inside the repository (esbuild's project root).
   */
  readonly entry: string;

  /** What the function does, shown in the Lambda console. */
  readonly description: string;

  /**
   * Environment variables of the function (its configuration). `NODE_OPTIONS` is added so
   * stack traces use the bundled source map.
   *
   * @default - none besides NODE_OPTIONS
   */
  readonly environment?: Record<string, string>;

  /**
   * @default Duration.seconds(30)
   */
  readonly timeout?: Duration;

  /**
   * @default 512
   */
  readonly memorySize?: number;

  /**
   * How long the function's log group keeps logs. Logs can contain email addresses.
   *
   * @default logs.RetentionDays.ONE_MONTH
   */
  readonly logRetention?: logs.RetentionDays;

  /**
   * Retries of a failed asynchronous invocation before it goes to `onFailure`.
   *
   * @default - Lambda's default (2), without an explicit invoke configuration
   */
  readonly retryAttempts?: number;

  /**
   * Where a failed asynchronous invocation goes after its retries.
   *
   * @default - none (the event is dropped after the retries)
   */
  readonly onFailure?: lambda.IDestination;
}

/**
 * A Node.js Lambda function with the project's defaults: the newest Node.js runtime this CDK
 * version offers, ARM64, an ESM bundle (minified, with source map, all dependencies bundled so
 * the deployed SDK version is the one we tested), its own log group with a retention, and its own
 * role that starts with nothing but permission to write to that log group (no
 * `AWSLambdaBasicExecutionRole`, whose `logs:CreateLogGroup` on `*` it does not need).
 * Everything else is granted per need by the caller.
 */
export class ReferFunction extends NodejsFunction {
  public constructor(scope: Construct, id: string, props: ReferFunctionProps) {
    const logGroup = new logs.LogGroup(scope, `${id}LogGroup`, {
      retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
    });
    const role = new iam.Role(scope, `${id}Role`, {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `Execution role of ${scope.node.path}/${id}`,
    });

    super(scope, id, {
      entry: resolve(projectRoot, props.entry),
      handler: 'handler',
      projectRoot,
      depsLockFilePath: join(projectRoot, 'package-lock.json'),
      description: props.description,
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: props.memorySize ?? 512,
      timeout: props.timeout ?? Duration.seconds(30),
      role,
      logGroup,
      retryAttempts: props.retryAttempts,
      onFailure: props.onFailure,
      environment: {
        ...props.environment,
        NODE_OPTIONS: '--enable-source-maps',
      },
      bundling: {
        format: OutputFormat.ESM,
        mainFields: ['module', 'main'],
        banner: esmRequireBanner,
        minify: true,
        sourceMap: true,
        sourcesContent: false,
        externalModules: [],
        esbuildArgs: {
          '--alias': Object.entries(bundleAliases).map(([module, path]) => `${module}=${path}`),
          // Non-ASCII text as UTF-8 (what Node reads a module as), not as \uXXXX escapes of 6 bytes per character.
          '--charset': 'utf8',
        },
      },
    });

    // The one permission every function needs; `this.logGroup` and `this.role` expose both.
    logGroup.grantWrite(role);
  }
}
