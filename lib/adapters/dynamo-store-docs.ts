/**
 * Documents in the DynamoDB store (`D#<kind>#<scope> / <id>`): JSON text, gzipped when large, with an optimistic
 * version (`expectVersion` 0 = must not exist yet).
 */
import type { Doc } from '../ports.ts';
import { type DynamoContext, getItem, queryAll, sendWrite } from './dynamo-store-client.ts';
import { type DocItem, decodeItem, itemKeys } from './dynamo-store-items.ts';
import { decodeDoc, encodeDocBody, VersionConflictError } from './store-util.ts';

export async function putDoc<T>(
  ctx: DynamoContext,
  kind: string,
  scope: string,
  id: string,
  body: T,
  opts: { expectVersion?: number } = {},
): Promise<Doc<T>> {
  // Bodies are stored as JSON text (exact round trip, no DynamoDB type quirks), gzipped when large.
  const { stored } = encodeDocBody(body);
  const values: Record<string, unknown> = {
    ':kind': kind,
    ':scope': scope,
    ':id': id,
    ':u': ctx.now().toISOString(),
    ':b': stored,
  };
  const set = 'SET #kind = :kind, #scope = :scope, #id = :id, updatedAt = :u, #body = :b';
  let update: string;
  let condition: string | undefined;
  if (opts.expectVersion === undefined) {
    update = `${set} ADD version :one`;
    values[':one'] = 1;
  } else {
    update = `${set}, version = :next`;
    values[':next'] = opts.expectVersion + 1;
    if (opts.expectVersion === 0) condition = 'attribute_not_exists(pk)';
    else {
      condition = 'version = :expected';
      values[':expected'] = opts.expectVersion;
    }
  }
  const res = await sendWrite(
    ctx,
    { requests: 0, units: 0 },
    {
      Key: { pk: itemKeys.docPk(kind, scope), sk: id },
      UpdateExpression: update,
      ConditionExpression: condition,
      ExpressionAttributeNames: { '#kind': 'kind', '#scope': 'scope', '#id': 'id', '#body': 'body' },
      ExpressionAttributeValues: values,
      ReturnValues: 'ALL_NEW',
    },
  );
  if (!res.ok || !res.attributes) throw new VersionConflictError(kind, scope, id, opts.expectVersion ?? 0);
  return toDoc<T>(decodeItem.doc(res.attributes));
}

export async function getDoc<T>(ctx: DynamoContext, kind: string, scope: string, id: string) {
  const item = await getItem(ctx, { pk: itemKeys.docPk(kind, scope), sk: id });
  return item ? toDoc<T>(decodeItem.doc(item)) : undefined;
}

export async function listDocs<T>(
  ctx: DynamoContext,
  kind: string,
  scope: string,
  opts: { fromId?: string; toId?: string; limit?: number } = {},
): Promise<Doc<T>[]> {
  const values: Record<string, unknown> = { ':pk': itemKeys.docPk(kind, scope) };
  let cond = 'pk = :pk';
  if (opts.fromId !== undefined && opts.toId !== undefined) {
    cond += ' AND sk BETWEEN :a AND :b';
    values[':a'] = opts.fromId;
    values[':b'] = opts.toId;
  } else if (opts.fromId !== undefined) {
    cond += ' AND sk >= :a';
    values[':a'] = opts.fromId;
  } else if (opts.toId !== undefined) {
    cond += ' AND sk <= :b';
    values[':b'] = opts.toId;
  }
  const items = await queryAll(
    ctx,
    { KeyConditionExpression: cond, ExpressionAttributeValues: values },
    opts.limit ?? Number.POSITIVE_INFINITY,
  );
  return items.map((it) => toDoc<T>(decodeItem.doc(it)));
}

const toDoc = <T>(it: DocItem): Doc<T> => decodeDoc<T>(it);
