import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { MAX_BUNDLE_KB, MAX_CAPTURE_BUNDLE_KB, type Metric } from './report.ts';
import { median, significant } from './stats.ts';

const run = promisify(execFile);

export interface FunctionBundle {
  readonly name: string;
  readonly file: string;
}

/** What the synthesized stack holds that costs money by existing, and each function's memory. */
export interface StackFigures {
  readonly alarms: number;
  /** Metrics the alarms read (what CloudWatch bills alarms by: one per metric, a math expression's each). */
  readonly alarmMetrics: number;
  readonly kmsKeys: number;
  readonly secrets: number;
  readonly memoryMb: Readonly<Record<string, number>>;
  /** Secrets each function is given, so reads from Secrets Manager at each cold start. */
  readonly secretReads: Readonly<Record<string, number>>;
}

export interface BundleFigures {
  readonly metrics: Metric[];
  readonly stack: StackFigures;
  /** Median cold import time of each function's bundle, ms (the cost model bills it as INIT). */
  readonly initMs: ReadonlyMap<string, number>;
}

/** Synthesizes the stack with its real bundling (in a child process) and returns where each bundle is. */
async function synthesizeBundles(outdir: string): Promise<{ functions: FunctionBundle[]; yardstick: string; stack: StackFigures }> {
  const script = join(import.meta.dirname, 'synth-functions.ts');
  const { stdout } = await run(process.execPath, ['--import', 'tsx', script, outdir], {
    maxBuffer: 16 * 1024 * 1024,
    env: { ...process.env, CDK_DISABLE_CLI_TELEMETRY: 'true' },
    timeout: 240_000,
  }).catch((error: unknown) => {
    const stderr = (error as { stderr?: string }).stderr ?? '';
    throw new Error(`synthesizing the stack for its bundles failed:\n${stderr.slice(-4000)}`, { cause: error });
  });
  const lastLine = stdout.trim().split('\n').pop() ?? '{}';
  const parsed = JSON.parse(lastLine) as { functions: FunctionBundle[]; yardstick?: string; stack: StackFigures };
  if (!parsed.yardstick || parsed.functions.length === 0) throw new Error(`no bundles found in the synthesized app: ${lastLine}`);
  return { functions: parsed.functions, yardstick: parsed.yardstick, stack: parsed.stack };
}

/**
 * The time to import a bundle in a fresh Node process, as Lambda's INIT does: with the
 * functions' NODE_OPTIONS (--enable-source-maps) and a region, measured inside the process from
 * just before the import to just after it (process start itself is the same for every bundle).
 */
async function coldImportMs(file: string): Promise<number> {
  const script = `const start = performance.now(); await import(${JSON.stringify(pathToFileURL(file).href)}); process.stdout.write(String(performance.now() - start));`;
  const { stdout } = await run(process.execPath, ['--enable-source-maps', '--input-type=module', '-e', script], {
    env: { PATH: process.env.PATH ?? '', AWS_REGION: 'us-east-1', AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
    timeout: 60_000,
  });
  return Number(stdout);
}

/**
 * bundle_kb.<function>: the minified index.mjs of each Lambda as `cdk synth` bundles it.
 * init_ratio.<function>: median cold import time over `runs` fresh processes, divided by that of
 * the yardstick bundle (a handler that only creates a DynamoDB client), rounds interleaved.
 */
export async function benchBundles(options: { runs: number }): Promise<BundleFigures> {
  const outdir = mkdtempSync(join(tmpdir(), 'refer-bench-synth-'));
  try {
    const { functions, yardstick, stack } = await synthesizeBundles(outdir);
    const sorted = [...functions].sort((a, b) => a.name.localeCompare(b.name));
    const metrics: Metric[] = sorted.map((bundle) => {
      const kb = statSync(bundle.file).size / 1024;
      const goal = bundle.name === 'capture' ? MAX_CAPTURE_BUNDLE_KB : MAX_BUNDLE_KB;
      return { metric: `bundle_kb.${bundle.name}`, value: Math.round(kb), unit: 'KB', detail: `minified ESM index.mjs from cdk synth (${(kb / goal).toFixed(2)}× the ${goal} KB goal; KB = 1024 bytes)` };
    });

    const samples = new Map<string, number[]>([['yardstick', []], ...sorted.map((bundle) => [bundle.name, []] as [string, number[]])]);
    const all = [{ name: 'yardstick', file: yardstick }, ...sorted];
    await coldImportMs(yardstick); // warms the file cache, not the process
    for (let round = 0; round < options.runs; round += 1) {
      // Rotate the order each round so no bundle always runs right after another.
      for (let index = 0; index < all.length; index += 1) {
        const bundle = all[(index + round) % all.length] as FunctionBundle;
        samples.get(bundle.name)?.push(await coldImportMs(bundle.file));
      }
    }
    const yardstickMs = median(samples.get('yardstick') ?? []);
    const initMs = new Map<string, number>();
    for (const bundle of sorted) {
      const ms = median(samples.get(bundle.name) ?? []);
      initMs.set(bundle.name, ms);
      metrics.push({
        metric: `init_ratio.${bundle.name}`,
        value: significant(ms / yardstickMs, 3),
        unit: 'ratio',
        detail: `median cold import ${ms.toFixed(1)} ms vs ${yardstickMs.toFixed(1)} ms for a bundle that only creates a DynamoDB client (${options.runs} fresh node processes each, interleaved, --enable-source-maps as on Lambda)`,
      });
    }
    return { metrics, initMs, stack };
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}
