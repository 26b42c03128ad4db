import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { ScheduleTargetBase, type ScheduleTargetBaseProps } from 'aws-cdk-lib/aws-scheduler-targets';

/**
 * EventBridge Scheduler invoking a Lambda function, like `aws-scheduler-targets`' `LambdaInvoke`
 * (same role, trust policy scoped to this account's schedule group, retry policy and dead-letter
 * queue), except that the role may invoke the function's unqualified ARN only: `LambdaInvoke`
 * uses `grantInvoke`, which adds `<function ARN>:*` (every version and alias) as well.
 */
export class LambdaScheduleTarget extends ScheduleTargetBase {
  public constructor(
    private readonly func: lambda.IFunction,
    props: ScheduleTargetBaseProps = {},
  ) {
    super(props, func.functionArn);
  }

  protected addTargetActionToRole(role: iam.IRole): void {
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: ['lambda:InvokeFunction'], resources: [this.func.functionArn] }),
    );
  }
}
