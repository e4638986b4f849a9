/**
 * The reference incident's telemetry, written once per test file to a temporary directory: registers the file's
 * beforeAll (write) and afterAll (remove) and returns the scenario, its end, and (once written) the directory and
 * the telemetry files.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { generateScenario, referenceIncidentSpec, writeTelemetry } from '../../lib/demo/scenarios/index.ts';

export function referenceTelemetry(prefix: string) {
  const g = generateScenario(referenceIncidentSpec());
  const t = {
    g,
    /** The end of the scenario (its last day's end). */
    end: new Date(Date.parse(g.spec.start) + g.spec.days * 86_400_000).toISOString(),
    dir: '',
    files: [] as string[],
  };
  beforeAll(async () => {
    t.dir = await mkdtemp(join(tmpdir(), prefix));
    t.files = (await writeTelemetry(join(t.dir, 'telemetry'), g.telemetry)).files;
  }, 120_000);
  afterAll(async () => {
    if (t.dir) await rm(t.dir, { recursive: true, force: true });
  });
  return t;
}
