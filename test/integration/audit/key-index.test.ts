/**
 * Audit correlation by indexed keys (issue #18 item 1): on the reference incident, the incident ticket's audit entry
 * built through the correlation-key index that incremental drift writes is the entry a scan of every subject's 90
 * days builds, and it reads the evidence of the subjects that name the ticket (or its sessions) only.
 */
import { describe, expect, it } from 'vitest';
import { localInputFiles } from '../../../lib/adapters/read-input.ts';
import { SqliteStore } from '../../../lib/adapters/sqlite-store.ts';
import { KEY_DOC, lookupKey } from '../../../lib/app/audit/key-index.ts';
import { auditInput } from '../../../lib/app/audit/service.ts';
import { runDriftIncremental } from '../../../lib/app/drift/incremental.ts';
import { ingestPaths } from '../../../lib/app/ingest/pipeline.ts';
import { scenarioIdentity } from '../../../lib/demo/scenarios/index.ts';
import { referenceTelemetry } from '../../support/reference-telemetry.ts';

const ref = referenceTelemetry('warden-key-index-');
const { g, end } = ref;
const ticket = g.truth.attackTicket!;

/** A store that records which subjects' evidence was read. */
async function counted() {
  const store = new SqliteStore();
  await ingestPaths(store, ref.files, { identity: scenarioIdentity(g), files: localInputFiles });
  const read = new Set<string>();
  const evidence = store.evidence.bind(store);
  store.evidence = (subject, from, to) => {
    read.add(subject);
    return evidence(subject, from, to);
  };
  return { store, read };
}

describe('audit correlation by indexed keys', () => {
  it('builds the same entry as the scan of every subject, reading only the subjects that name the input', async () => {
    const scanned = await counted();
    const byScan = await auditInput(scanned.store, ticket, { now: end });
    const all = (await scanned.store.subjects()).map((s) => s.subject);
    expect([...scanned.read].sort()).toEqual(all.sort());

    const indexed = await counted();
    await runDriftIncremental(indexed.store, { now: end, sinceMs: 35 * 86_400_000 });
    expect((await lookupKey(indexed.store, ticket)).map((x) => x.subject)).toEqual([
      'k8s:prod-eks/support/support-agent',
    ]);
    indexed.read.clear();
    const byIndex = await auditInput(indexed.store, ticket, { now: end, scan: false });
    expect(byIndex.record?.entry).toEqual(byScan.record?.entry);
    expect(byIndex.record?.hash).toBe(byScan.record?.hash);
    expect(byIndex.record?.entry.counts['cloud-api']).toBe(2400);
    expect(indexed.read.size).toBeLessThan(all.length);
    expect([...indexed.read].every((s) => byIndex.record!.entry.subjects.includes(s))).toBe(true);
    await scanned.store.close();
    await indexed.store.close();
  }, 300_000);

  it('finds nothing for an input no evidence names, without scanning, when told not to', async () => {
    const s = await counted();
    await runDriftIncremental(s.store, { now: end, sinceMs: 86_400_000 });
    s.read.clear();
    expect(await auditInput(s.store, 'ZD-NO-SUCH-TICKET', { now: end, scan: false })).toEqual({ created: false });
    expect(s.read.size).toBe(0);
    expect(await s.store.listDocs(KEY_DOC, 't:ZD-NO-SUCH-TICKET')).toEqual([]);
    await s.store.close();
  }, 300_000);
});
