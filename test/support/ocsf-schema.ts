/** The vendored OCSF schema subset (vendor/ocsf-schema-1.7.0) and an assertion that events validate against it. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import { OCSF_VERSION } from '../../lib/core/ocsf/types.ts';
import { type OcsfSchemaSubset, validateOcsfEvent } from '../../lib/core/ocsf/validate.ts';
import { REPO } from './cli.ts';

export const OCSF_SCHEMA = JSON.parse(
  readFileSync(join(REPO, 'vendor', `ocsf-schema-${OCSF_VERSION}`, 'subset.json'), 'utf8'),
) as OcsfSchemaSubset;

/** Fails listing every problem of every event that does not validate (none may). */
export function expectValidOcsf(events: readonly unknown[]): void {
  const bad = events
    .map((e, i) => ({ i, problems: validateOcsfEvent(OCSF_SCHEMA, e) }))
    .filter((r) => r.problems.length > 0)
    .slice(0, 5)
    .map((r) => ({ event: events[r.i], problems: r.problems }));
  expect(bad).toEqual([]);
}
