/** Makes sure the store's table exists: created (when allowed) from table-schema.ts, then waited on until ACTIVE. */
import { CreateTableCommand, DescribeTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createTableInput } from './table-schema.ts';

/** The table is missing and the store may not create it. */
export class TableMissingError extends Error {
  constructor(table: string, cause: unknown) {
    super(`table ${table} does not exist (deploy the stack, or pass create=1 to create it)`, { cause });
    this.name = 'TableMissingError';
  }
}

const errorName = (err: unknown) => (err as { name?: string } | undefined)?.name;

export async function ensureTable(raw: DynamoDBClient, table: string, create: boolean): Promise<void> {
  try {
    const d = await raw.send(new DescribeTableCommand({ TableName: table }));
    if (d.Table?.TableStatus === 'ACTIVE') return;
  } catch (err) {
    if (errorName(err) !== 'ResourceNotFoundException') throw err;
    if (!create) throw new TableMissingError(table, err);
    try {
      await raw.send(new CreateTableCommand(createTableInput(table)));
    } catch (e) {
      // Another process created it first.
      if (errorName(e) !== 'ResourceInUseException') throw e;
    }
  }
  for (let i = 0; i < 600; i++) {
    const d = await raw.send(new DescribeTableCommand({ TableName: table }));
    if (d.Table?.TableStatus === 'ACTIVE') return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`table ${table} did not become ACTIVE`);
}
