#!/usr/bin/env node
// Entry point for `npx refer`: registers tsx so the TypeScript CLI runs without a build step.
import { register } from 'tsx/esm/api';

// The AWS SDK warns on every start under Node 20 (Lambda runs 22+); the warning is noise for CLI users.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
// Local mode prints its own one-line progress; the Lambda-style JSON logs only for warnings and errors.
process.env.POWERTOOLS_LOG_LEVEL ??= 'WARN';

register();
if (process.argv[2] === 'start') {
  process.stdout.write('Starting local mode (DynamoDB Local, SMTP capture, web server, scheduler)...\n');
  // DynamoDB Local's JVM boots while the rest of the code loads: the two slowest steps of `npm start`, side by side.
  const { prestartLocalMode } = await import('../functions/local/early-start.ts');
  prestartLocalMode(process.env);
}
await import('./refer.ts');
