import { Aws, Duration } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { ReferFunction } from './refer-function.ts';

/** Props for `LinkKeyRotation`. */
export interface LinkKeyRotationProps {
  /** The stack's keys secret (`BookingCredentials`): its link-signing key is rotated, everything else in it is kept. */
  readonly secret: secretsmanager.Secret;

  /**
   * Time between rotations. Links are verified with the current and the previous key, so every
   * link that lives shorter than this survives a rotation (the longest live 14 days).
   *
   * @default Duration.days(30)
   */
  readonly every?: Duration;

  /**
   * Handler module of the rotation function, relative to the repository root.
   *
   * @default 'functions/handlers/rotate-link-key.ts'
   */
  readonly entry?: string;
}

/** The Secrets Manager actions a rotation function needs on its secret (the four steps). */
export const ROTATION_ACTIONS = [
  'secretsmanager:DescribeSecret',
  'secretsmanager:GetSecretValue',
  'secretsmanager:PutSecretValue',
  'secretsmanager:UpdateSecretVersionStage',
] as const;

/**
 * Automatic rotation of the link-signing key: a rotation function (`rotate-link-key.ts`) that
 * Secrets Manager invokes every `every`, allowed exactly the four rotation actions on this one
 * secret, and only Secrets Manager of this account, for this secret, may invoke it.
 *
 * The function makes its own random key (node:crypto), so it needs no
 * `secretsmanager:GetRandomPassword`, which has no resource-level permissions: that is why the
 * schedule is given the function by reference and the grants are made here instead of by
 * `addRotationSchedule` (which would add that action on `*`). The first rotation waits for the
 * schedule (`rotateImmediatelyOnUpdate: false`), so deploying never changes the key by itself.
 */
export class LinkKeyRotation extends Construct {
  /** The rotation function. */
  public readonly function: ReferFunction;

  public constructor(scope: Construct, id: string, props: LinkKeyRotationProps) {
    super(scope, id);
    const every = props.every ?? Duration.days(30);

    this.function = new ReferFunction(this, 'Function', {
      entry: props.entry ?? 'functions/handlers/rotate-link-key.ts',
      description: 'Rotates the link-signing key in the keys secret (Secrets Manager rotation: a new random key; the previous one keeps verifying links)',
      environment: { POWERTOOLS_SERVICE_NAME: 'refer-rotate-link-key', LOG_LEVEL: 'INFO' },
    });
    this.function.addToRolePolicy(new iam.PolicyStatement({ actions: [...ROTATION_ACTIONS], resources: [props.secret.secretArn] }));

    this.function.addPermission('InvokedBySecretsManager', {
      principal: new iam.ServicePrincipal('secretsmanager.amazonaws.com'),
      action: 'lambda:InvokeFunction',
      sourceAccount: Aws.ACCOUNT_ID,
      sourceArn: props.secret.secretArn,
    });

    const schedule = props.secret.addRotationSchedule('Rotation', {
      rotationLambda: lambda.Function.fromFunctionAttributes(this, 'RotationTarget', {
        functionArn: this.function.functionArn,
        sameEnvironment: true,
      }),
      automaticallyAfter: every,
      rotateImmediatelyOnUpdate: false,
    });
    // Secrets Manager checks it may invoke the function when rotation is configured.
    schedule.node.addDependency(this.function.permissionsNode.findChild('InvokedBySecretsManager'));
  }
}
