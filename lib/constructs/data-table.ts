import { RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { tableDesign, type IndexName } from '../../functions/adapters/dynamodb/table-design.ts';

/** Item-level DynamoDB actions `DataTable.grantItems` hands out (a transaction is authorized per item by these). */
export type ItemAction = 'GetItem' | 'BatchGetItem' | 'PutItem' | 'UpdateItem' | 'Query' | 'ConditionCheckItem';

/** Props for `DataTable`. */
export interface DataTableProps {
  /**
   * What happens to the table when the stack is deleted.
   *
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * The single table of the system, built only from `tableDesign` (the object local mode and the
 * tests build their tables from), so the deployed keys, indexes, TTL and stream cannot drift from them.
 * On-demand, point-in-time recovery on, encrypted with the AWS managed key (`aws/dynamodb`):
 * key use shows in CloudTrail and no key policy or `kms:*` grant has to be maintained for each
 * function, which a customer managed key would need without giving this single-account app
 * anything it uses (cross-account access, key deletion as crypto-shredding).
 */
export class DataTable extends Construct {
  /** The table. */
  public readonly table: dynamodb.Table;

  public constructor(scope: Construct, id: string, props: DataTableProps = {}) {
    super(scope, id);
    this.table = new dynamodb.Table(this, 'Table', {
      partitionKey: { name: tableDesign.partitionKey, type: dynamodb.AttributeType.STRING },
      sortKey: { name: tableDesign.sortKey, type: dynamodb.AttributeType.STRING },
      timeToLiveAttribute: tableDesign.timeToLiveAttribute,
      stream: dynamodb.StreamViewType[tableDesign.streamViewType],
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
    });
    for (const index of tableDesign.globalSecondaryIndexes) {
      this.table.addGlobalSecondaryIndex({
        indexName: index.indexName,
        partitionKey: { name: index.partitionKey, type: dynamodb.AttributeType.STRING },
        sortKey: { name: index.sortKey, type: dynamodb.AttributeType.STRING },
        projectionType: dynamodb.ProjectionType.ALL,
      });
    }
  }

  /**
   * Item-level read and write, nothing else: `GetItem`, `BatchGetItem`, `PutItem`, `UpdateItem`,
   * `Query` and `ConditionCheckItem` on the table (a `TransactWriteItems` call is authorized per
   * item by these), and `Query` on each index by its own ARN (no `index/*` wildcard). No `Scan`,
   * `DeleteItem`, `BatchWriteItem` or stream access.
   */
  public grantItemReadWrite(grantee: iam.IGrantable): iam.Grant {
    const indexArns = tableDesign.globalSecondaryIndexes.map(
      (index) => `${this.table.tableArn}/index/${index.indexName}`,
    );
    const tableGrant = iam.Grant.addToPrincipal({
      grantee,
      actions: [
        'dynamodb:GetItem',
        'dynamodb:BatchGetItem',
        'dynamodb:PutItem',
        'dynamodb:UpdateItem',
        'dynamodb:Query',
        'dynamodb:ConditionCheckItem',
      ],
      resourceArns: [this.table.tableArn],
    });
    return tableGrant.combine(
      iam.Grant.addToPrincipal({ grantee, actions: ['dynamodb:Query'], resourceArns: indexArns }),
    );
  }

  /**
   * Exactly the item actions named, on the table only, plus `Query` on each index in
   * `queryIndexes` by its own ARN; for a function that needs less than `grantItemReadWrite`.
   * `TransactWriteItems` has no IAM action of its own: each `Put`/`Update` in a transaction is
   * authorized as `PutItem`/`UpdateItem`, a `ConditionCheck` as `ConditionCheckItem`.
   */
  public grantItems(grantee: iam.IGrantable, actions: readonly ItemAction[], queryIndexes: readonly IndexName[] = []): iam.Grant {
    const grant = iam.Grant.addToPrincipal({
      grantee,
      actions: actions.map((action) => `dynamodb:${action}`),
      resourceArns: [this.table.tableArn],
    });
    if (queryIndexes.length === 0) return grant;
    return grant.combine(
      iam.Grant.addToPrincipal({
        grantee,
        actions: ['dynamodb:Query'],
        resourceArns: queryIndexes.map((indexName) => `${this.table.tableArn}/index/${indexName}`),
      }),
    );
  }
}
