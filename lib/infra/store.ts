/**
 * `Store`: the one DynamoDB table behind Warden's Store port, declared from the same schema module the store adapter
 * uses (lib/adapters/table-schema.ts), so the deployed table and the code that writes it cannot disagree.
 */
import { RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { GSIS, PARTITION_KEY, SORT_KEY, TTL_ATTRIBUTE } from '../adapters/table-schema.ts';

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
}
