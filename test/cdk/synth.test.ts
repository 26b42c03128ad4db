import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { esmRequireBanner } from '../../lib/constructs/refer-function.ts';
import { projectRoot } from './support.ts';

const run = promisify(execFile);

interface AssetManifest {
  files: Record<string, { displayName?: string; source: { path: string; packaging?: string } }>;
}

describe('cdk synth (CLI, real bundling, no AWS credentials)', () => {
  it('synthesizes the app and bundles the capture, web, booking, jobs and link-key rotation handlers as ESM modules with source maps', async () => {
    const outdir = mkdtempSync(join(tmpdir(), 'refer-synth-'));
    try {
      // No AWS_* variables at all: synth must work offline for anyone.
      const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('AWS_')));
      await run(
        join(projectRoot, 'node_modules/.bin/cdk'),
        ['synth', '--no-notices', '--quiet', '--output', outdir],
        {
          cwd: projectRoot,
          // CDK_VALIDATION=false skips only CDK's built-in CloudFormation schema check (about 7 s
          // here); nag.test.ts runs it on the same app. cdk-nag still runs and would fail the synth.
          env: { ...env, CDK_DISABLE_CLI_TELEMETRY: 'true', AWS_EC2_METADATA_DISABLED: 'true', CDK_VALIDATION: 'false' },
          timeout: 120_000,
        },
      );

      expect(existsSync(join(outdir, 'Refer.template.json'))).toBe(true);
      const manifest = JSON.parse(readFileSync(join(outdir, 'Refer.assets.json'), 'utf8')) as AssetManifest;
      const bundles = Object.values(manifest.files).filter((file) => file.source.packaging === 'zip');
      // One bundle per function, named after its construct path.
      expect(bundles.map((file) => file.displayName).sort()).toEqual([
        'Booking/Function/Code',
        'BookingCredentials/LinkKeyRotation/Function/Code',
        'Capture/Function/Code',
        'Jobs/Function/Code',
        'Web/Function/Code',
      ]);
      for (const file of bundles) {
        const bundle = join(outdir, file.source.path);
        const code = readFileSync(join(bundle, 'index.mjs'), 'utf8');
        expect(code.startsWith(esmRequireBanner)).toBe(true);
        expect(code).toMatch(/export\s*\{[^}]*\bas handler\b|export\s*\{[^}]*\bhandler\b/);
        expect(statSync(join(bundle, 'index.mjs.map')).size).toBeGreaterThan(0);
      }
    } finally {
      rmSync(outdir, { recursive: true, force: true });
    }
  }, 120_000);
});
