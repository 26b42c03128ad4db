// Synthesizes the stack as `cdk synth` does (same app, same cdk.json context, real esbuild
// bundling through NodejsFunction) plus the yardstick function, and prints where each bundle is.
// Run in its own process by bundles-bench.ts: esbuild's progress goes to stderr there.
import { App, Stack } from 'aws-cdk-lib';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ReferFunction, projectRoot } from '../lib/constructs/refer-function.ts';
import { createReferApp } from '../lib/refer-app.ts';

interface AssetManifest {
  files: Record<string, { displayName?: string; source: { path: string; packaging?: string } }>;
}

const outdir = process.argv[2];
if (!outdir) throw new Error('usage: synth-functions.ts OUTDIR');
const context = (JSON.parse(readFileSync(join(projectRoot, 'cdk.json'), 'utf8')) as { context: Record<string, unknown> }).context;

// Path metadata (as the CLI turns on) names each function's resource in the template.
const { app } = createReferApp({ outdir: join(outdir, 'refer'), context: { ...context, 'aws:cdk:enable-path-metadata': true } });
app.synth();

const yardstickApp = new App({ outdir: join(outdir, 'yardstick'), context });
new ReferFunction(new Stack(yardstickApp, 'Yardstick'), 'Function', { entry: 'bench/fixtures/dynamodb-client-only.ts', description: 'init_ratio yardstick' });
yardstickApp.synth();

/** `Capture/Function/Code` → `capture`; `BookingCredentials/LinkKeyRotation/Function/Code` → `link_key_rotation`. */
const functionName = (displayName: string) => {
  const parts = displayName.split('/');
  const owner = parts[parts.indexOf('Function') - 1] ?? displayName;
  return owner.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase();
};

const bundlesOf = (directory: string, stack: string) => {
  const manifest = JSON.parse(readFileSync(join(outdir, directory, `${stack}.assets.json`), 'utf8')) as AssetManifest;
  return Object.values(manifest.files)
    .filter((file) => file.source.packaging === 'zip' && file.displayName)
    .map((file) => ({ name: functionName(file.displayName ?? ''), file: join(outdir, directory, file.source.path, 'index.mjs') }));
};
// What the stack costs by merely existing, and each function's memory: for the cost model.
interface Resource {
  Type: string;
  // An alarm on a metric math expression lists its metrics (`Metrics`); an alarm on one metric names it.
  Properties?: { MemorySize?: number; Environment?: { Variables?: Record<string, unknown> }; Metrics?: { MetricStat?: unknown }[] };
  Metadata?: Record<string, string>;
}
const template = JSON.parse(readFileSync(join(outdir, 'refer', 'Refer.template.json'), 'utf8')) as { Resources: Record<string, Resource> };
const resources = Object.values(template.Resources);
const count = (type: string) => resources.filter((resource) => resource.Type === type).length;
const functionResources = resources.filter((resource) => resource.Type === 'AWS::Lambda::Function' && resource.Metadata?.['aws:cdk:path']?.endsWith('/Function/Resource'));
const memoryMb = Object.fromEntries(functionResources.map((resource) => [functionName(resource.Metadata?.['aws:cdk:path'] ?? ''), resource.Properties?.MemorySize ?? 128]));
// Each secret a function is given (an environment variable *_SECRET_ARN) is read once per cold start.
const secretReads = Object.fromEntries(
  functionResources.map((resource) => [
    functionName(resource.Metadata?.['aws:cdk:path'] ?? ''),
    Object.entries(resource.Properties?.Environment?.Variables ?? {}).filter(([name, value]) => name.endsWith('SECRET_ARN') && value !== '').length,
  ]),
);
const alarmMetrics = resources
  .filter((resource) => resource.Type === 'AWS::CloudWatch::Alarm')
  .map((resource) => {
    const metrics = resource.Properties?.Metrics;
    return metrics ? metrics.filter((metric) => metric.MetricStat !== undefined).length : 1;
  })
  .reduce((sum, each) => sum + each, 0);
const [yardstick] = bundlesOf('yardstick', 'Yardstick');
process.stdout.write(
  `${JSON.stringify({
    functions: bundlesOf('refer', 'Refer'),
    yardstick: yardstick?.file,
    stack: { alarms: count('AWS::CloudWatch::Alarm'), alarmMetrics, kmsKeys: count('AWS::KMS::Key'), secrets: count('AWS::SecretsManager::Secret'), memoryMb, secretReads },
  })}\n`,
);
