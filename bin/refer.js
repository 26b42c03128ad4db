#!/usr/bin/env node
// Entry point for `npx refer`: registers tsx so the TypeScript CLI runs without a build step.
import { register } from 'tsx/esm/api';

// The AWS SDK warns on every start under Node 20 (Lambda runs 22+); the warning is noise for CLI users.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
// Local mode prints its own one-line progress; the Lambda-style JSON logs only for warnings and errors.
process.env.POWERTOOLS_LOG_LEVEL ??= 'WARN';

register();
await import('./refer.ts');
