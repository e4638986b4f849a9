/**
 * Per-agent granularity through the store: two agents of different classes in one namespace get two different
 * envelopes from two baselines, each rule traceable to its own baseline; the class baseline tightens the defaults
 * (the code-execution agent gets no egress and no IMDS even though it used them).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { loadIamCatalog } from '../../../lib/adapters/iam-scope.ts';
import { openStore } from '../../../lib/adapters/open-store.ts';
import { explain, generateArtifacts, writeArtifacts } from '../../../lib/app/artifacts/service.ts';
import { refreshBaseline } from '../../../lib/app/baselines/service.ts';
import type { Layer, Observation } from '../../../lib/core/observation.ts';
import type { Store } from '../../../lib/ports.ts';

const SUPPORT = 'k8s:prod/agents/support-agent';
const CODER = 'k8s:prod/agents/code-runner';
const START = Date.parse('2026-10-01T00:00:00.000Z');

function obs(subject: string, key: string, layer: Layer, hour: number, count = 1): Observation {
  return {
    v: 1,
    id: `${subject}|${key}|${hour}`,
    time: new Date(START + hour * 3_600_000 + 60_000).toISOString(),
    source: 'node-agent',
    subject,
    layer,
    kind: key.split(':')[0]!,
    key,
    count,
    correlation: {},
    attrs: {},
  };
}

let store: Store;
let dir: string;
beforeAll(async () => {
  store = await openStore('embedded:memory');
  dir = mkdtempSync(join(tmpdir(), 'warden-artifacts-'));
  const all: Observation[] = [];
  for (let h = 0; h < 24 * 10; h += 3) {
    all.push(
      obs(SUPPORT, 'net:egress:13.110.54.10/32:443', 'network', h, 4),
      obs(SUPPORT, 'dns:acme.zendesk.com', 'network', h),
      obs(SUPPORT, 'syscall:read', 'kernel', h, 300),
      obs(SUPPORT, 'syscall:connect', 'kernel', h, 4),
      obs(SUPPORT, 'exec:/usr/bin/python3', 'kernel', h),
      obs(CODER, 'syscall:read', 'kernel', h, 100),
      obs(CODER, 'syscall:clone', 'kernel', h, 10),
      obs(CODER, 'net:egress:169.254.169.254/32:80', 'network', h),
      obs(CODER, 'net:egress:151.101.0.223/32:443', 'network', h),
      obs(CODER, 'exec:/tmp/job-a1b2c3/run.sh', 'kernel', h),
    );
  }
  await store.write(all, []);
  await store.setLabels(SUPPORT, { 'warden.dev/agent-class': 'customer-support' });
  await store.setLabels(CODER, { 'warden.dev/agent-class': 'code-execution' });
  const now = new Date(START + 11 * 86_400_000).toISOString();
  await refreshBaseline(store, SUPPORT, now);
  await refreshBaseline(store, CODER, now);
});
afterAll(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('artifacts from stored baselines', () => {
  it('gives two agents in one namespace two envelopes traceable to their own baselines', async () => {
    const now = new Date(START + 11 * 86_400_000).toISOString();
    const a = await generateArtifacts(SUPPORT, { store, now, loadCatalog: loadIamCatalog });
    const b = await generateArtifacts(CODER, { store, now, loadCatalog: loadIamCatalog });
    expect(a.class).toBe('customer-support');
    expect(b.class).toBe('code-execution');
    const npA = parse(a.files.find((f) => f.kind === 'network-policy')!.content);
    const npB = parse(b.files.find((f) => f.kind === 'network-policy')!.content);
    expect(npA.metadata.namespace).toBe(npB.metadata.namespace);
    expect(JSON.stringify(npA.spec.egress)).toContain('13.110.54.10/32');
    // code-execution: deny-all egress and no IMDS, although both were observed
    expect(npB.spec.egress).toEqual([]); // Egress in policyTypes with no rules: deny all
    expect(JSON.stringify(npB)).not.toContain('169.254.169.254');
    expect(b.warnings.some((w) => w.includes('deny-all'))).toBe(true);
    // Both envelopes start from runtime bases (a runtime opens sockets whatever the agent does), so they differ in
    // what each agent was observed doing and in the bases its runtime evidence selects.
    const observedOf = (x: typeof a) =>
      x.files
        .find((f) => f.kind === 'seccomp')!
        .rules.find((r) => r.rule === 'observed')!
        .derivedFrom.map((k) => k.key);
    expect(observedOf(a)).toEqual(['syscall:connect', 'syscall:read']);
    expect(observedOf(b)).toEqual(['syscall:clone', 'syscall:read']);
    expect(a.monitored.seccompProfile!.syscalls!.flatMap((r) => r.names)).toContain('connect');
    expect(a.warnings.join()).toContain('thin evidence');
    for (const r of a.files.flatMap((f) => f.rules)) expect(r.subject).toBe(SUPPORT);
    for (const r of b.files.flatMap((f) => f.rules)) expect(r.subject).toBe(CODER);
    expect(a.index.baselineVersion).toBeGreaterThan(0);
    expect(a.warnings.join()).toContain('no IAM tightening');
  });

  it('writes the files with a provenance index that explains a rule', async () => {
    const now = new Date(START + 11 * 86_400_000).toISOString();
    const set = await generateArtifacts(SUPPORT, { store, now, loadCatalog: loadIamCatalog });
    const out = join(dir, 'support');
    const written = writeArtifacts(out, set);
    expect(written.at(-1)).toBe(join(out, 'provenance.json'));
    const np = written.find((p) => p.endsWith('.networkpolicy.yaml'))!;
    const why = explain(join(out, 'provenance.json'), np, '13.110.54.10/32');
    expect(why).toHaveLength(1);
    expect(why[0]!.derivedFrom[0]!.key).toBe('net:egress:13.110.54.10/32:443');
    expect(why[0]!.derivedFrom[0]!.count).toBe(4 * 80);
    const seccomp = written.find((p) => p.endsWith('seccomp.enforce.json'))!;
    expect(explain(join(out, 'provenance.json'), seccomp, 'family:network')[0]!.derivedFrom.map((k) => k.key)).toEqual([
      'syscall:connect',
    ]);
    // Which calls come from the runtime base and which from observation, per syscall.
    const [base] = explain(join(out, 'provenance.json'), seccomp, 'base:cpython');
    expect(base!.allows).toContain('CPython 3 runtime base');
    expect(base!.derivedFrom.map((k) => k.key)).toEqual(['exec:/usr/bin/python3']);
  });
});
