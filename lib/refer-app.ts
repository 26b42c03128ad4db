import { App, Validations, type AppProps } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { referConfigFromContext } from './config.ts';
import { ReferStack } from './refer-stack.ts';

/** Props for `createReferApp`: the App's own (context, outdir). */
export type ReferAppProps = AppProps;

/** The CDK app as `bin/app.ts` runs it. */
export interface ReferApp {
  readonly app: App;
  readonly stack: ReferStack;
}

/**
 * Builds the app: the `Refer` stack configured from context (keys in `contextKeys`, from
 * `cdk.json`, `-c key=value` or `props.context`; an invalid value throws naming the key) and the
 * cdk-nag AwsSolutions checks, whose unacknowledged findings fail synthesis.
 */
export function createReferApp(props: ReferAppProps = {}): ReferApp {
  const app = new App(props);
  const stack = new ReferStack(app, 'Refer', referConfigFromContext(app.node));
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return { app, stack };
}
