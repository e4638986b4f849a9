/**
 * Golden files: each fixture in test/fixtures/sources parsed with the default context must give exactly the stored
 * result (observations, rejects, skipped). Regenerate after a deliberate change with
 * `UPDATE_GOLDEN=1 npx vitest run test/unit/sources/golden.test.ts` and review the diff.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseText } from '../../../lib/core/sources/index.ts';
import { ctx, fixtures } from './helpers.ts';

const cases = [
  'cloudtrail-eventbridge-putobject.json',
  'bedrock-invocation-s3.jsonl',
  'bedrock-invocation-cloudwatch.jsonl',
  'bedrock-agent-traces.jsonl',
  'vpc-flow-v5-header.log',
  'vpc-flow-v2-default.log',
];

describe('golden parses of fixtures', () => {
  for (const name of cases) {
    it(name, () => {
      const r = parseText(readFileSync(path.join(fixtures, name), 'utf8'), ctx({ file: name }));
      const actual = JSON.parse(JSON.stringify(r));
      const golden = path.join(fixtures, 'golden', `${name}.json`);
      if (process.env.UPDATE_GOLDEN || !existsSync(golden)) {
        if (!process.env.UPDATE_GOLDEN) throw new Error(`missing golden file ${golden}; run with UPDATE_GOLDEN=1`);
        writeFileSync(golden, `${JSON.stringify(actual, null, 2)}\n`);
      }
      expect(actual).toEqual(JSON.parse(readFileSync(golden, 'utf8')));
    });
  }
});
