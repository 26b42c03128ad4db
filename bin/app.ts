#!/usr/bin/env node
// The CDK app (cdk.json: `npx tsx bin/app.ts`). Settings are context values, e.g.
//   npx cdk synth -c captureDomain=in.example.com -c rawMailRetentionDays=30
// The CLI synthesizes the app when this module finishes; cdk-nag findings fail the synth.
import { createReferApp } from '../lib/refer-app.ts';

createReferApp();
