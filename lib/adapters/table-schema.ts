/**
 * The one DynamoDB table behind the Store: key schema and GSIs, shared by the store adapter (which creates the table
 * on local endpoints) and the CDK construct in lib/infra (which declares it for AWS). Item layouts: docs/data-model.md.
 */

/** Default table name for the embedded store and local endpoints. */
export const DEFAULT_TABLE_NAME = 'warden';

export const PARTITION_KEY = 'pk' as const;
export const SORT_KEY = 'sk' as const;
/** Attribute holding the AWS TTL expiry (epoch seconds). Readers filter on it; deletion by TTL is only an optimisation. */
export const TTL_ATTRIBUTE = 'expiresAt' as const;

export interface GsiSpec {
  indexName: string;
  partitionKey: string;
  sortKey: string;
  /** All GSIs project every attribute: readers need whole items and the indexed item types are small. */
  projection: 'ALL';
}

/** GSI1 lists items by type across partitions: subjects (`SUBJECT`), quarantine (`QUARANTINE`), docs by kind. */
export const GSI1: GsiSpec = {
  indexName: 'gsi1',
  partitionKey: 'gsi1pk',
  sortKey: 'gsi1sk',
  projection: 'ALL',
};

export const GSIS: readonly GsiSpec[] = [GSI1];

/** Every key attribute is a string. */
export const KEY_ATTRIBUTES: readonly string[] = [PARTITION_KEY, SORT_KEY, GSI1.partitionKey, GSI1.sortKey];

/** A CreateTable input (plain data, usable by the SDK and by tests); on-demand billing. */
export function createTableInput(tableName: string) {
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST' as const,
    AttributeDefinitions: KEY_ATTRIBUTES.map((name) => ({ AttributeName: name, AttributeType: 'S' as const })),
    KeySchema: [
      { AttributeName: PARTITION_KEY, KeyType: 'HASH' as const },
      { AttributeName: SORT_KEY, KeyType: 'RANGE' as const },
    ],
    GlobalSecondaryIndexes: GSIS.map((g) => ({
      IndexName: g.indexName,
      KeySchema: [
        { AttributeName: g.partitionKey, KeyType: 'HASH' as const },
        { AttributeName: g.sortKey, KeyType: 'RANGE' as const },
      ],
      Projection: { ProjectionType: g.projection },
    })),
  };
}
