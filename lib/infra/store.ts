/**
 * `Store`: the one DynamoDB table behind Warden's Store port, declared from the same schema module the store adapter
 * uses (lib/adapters/table-schema.ts), so the deployed table and the code that writes it cannot disagree.
 */
import { type CfnResource, RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { GSIS, PARTITION_KEY, SORT_KEY, TTL_ATTRIBUTE } from '../adapters/table-schema.ts';
import type { WardenFunction } from './function.ts';
import { acknowledgeTableGrant } from './nag.ts';

/**
 * Every DynamoDB action the store adapter (lib/adapters/dynamo-store.ts) issues in a Lambda: DescribeTable when it
 * opens, item reads (GetItem, and BatchGetItem for the aggregates a batch touches) and writes, queries (table and
 * GSI). No Scan, BatchWriteItem, transactions or streams; DeleteItem only for the Drift function, on dirty marks only
 * ({@link Store.grantDirtyClear}). The e2e test
 * (test/e2e/rollout-iam.test.ts) records the calls of every function and fails on a call outside this list, and on
 * an action in it no function used.
 */
export const STORE_DATA_ACTIONS = [
  'dynamodb:DescribeTable',
  'dynamodb:GetItem',
  'dynamodb:BatchGetItem',
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
  'dynamodb:Query',
] as const;

/**
 * What DynamoDB needs of the caller for a table under a customer-managed key (it uses the key on the caller's
 * behalf, `kms:ViaService`): the same actions a CDK table grant gives, on this key only.
 */
const KEY_ACTIONS = ['kms:Decrypt', 'kms:DescribeKey', 'kms:Encrypt', 'kms:ReEncrypt*', 'kms:GenerateDataKey*'];

export interface StoreProps {
  retainData: boolean;
}

export class Store extends Construct {
  readonly table: dynamodb.Table;
  readonly key: kms.Key;

  constructor(scope: Construct, id: string, props: StoreProps) {
    super(scope, id);
    const removalPolicy = props.retainData ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;
    this.key = new kms.Key(this, 'Key', {
      description: 'Warden: encrypts the observation table',
      enableKeyRotation: true,
      removalPolicy,
    });
    this.table = new dynamodb.Table(this, 'Table', {
      partitionKey: { name: PARTITION_KEY, type: dynamodb.AttributeType.STRING },
      sortKey: { name: SORT_KEY, type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      encryption: dynamodb.TableEncryption.CUSTOMER_MANAGED,
      encryptionKey: this.key,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      // Readers filter expired items themselves; TTL deletion only saves storage.
      timeToLiveAttribute: TTL_ATTRIBUTE,
      removalPolicy,
    });
    for (const g of GSIS) {
      this.table.addGlobalSecondaryIndex({
        indexName: g.indexName,
        partitionKey: { name: g.partitionKey, type: dynamodb.AttributeType.STRING },
        sortKey: { name: g.sortKey, type: dynamodb.AttributeType.STRING },
        projectionType: dynamodb.ProjectionType.ALL,
      });
    }
  }

  /**
   * Lets a function delete dirty marks, and nothing else: `dynamodb:DeleteItem` on items whose partition key is a
   * dirty-mark shard (`DIRTY#<n>`, lib/adapters/dynamo-store-dirty.ts). Incremental drift deletes the mark of a subject
   * it judged, so its listing never reads a clean subject; no function may delete data.
   */
  grantDirtyClear(f: WardenFunction): void {
    f.fn.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['dynamodb:DeleteItem'],
        resources: [this.table.tableArn],
        conditions: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['DIRTY#*'] } },
      }),
    );
  }

  /** Gives a function the store's data plane: exactly {@link STORE_DATA_ACTIONS} on the table and its indexes. */
  grantData(f: WardenFunction): void {
    f.fn.addToRolePolicy(
      new iam.PolicyStatement({
        actions: [...STORE_DATA_ACTIONS],
        resources: [this.table.tableArn, `${this.table.tableArn}/index/*`],
      }),
    );
    f.fn.addToRolePolicy(new iam.PolicyStatement({ actions: KEY_ACTIONS, resources: [this.key.keyArn] }));
    acknowledgeTableGrant(f, this.table.node.defaultChild as CfnResource);
  }
}
