/**
 * KubernetesApplier against a local server speaking the Kubernetes API endpoints it uses (API discovery, server-side
 * apply PATCH, DELETE): monitor mode applies only the SCMP_ACT_LOG SeccompProfile (and a Calico staged policy when
 * configured), enforce applies the NetworkPolicy and the enforcing profile, rollback deletes what the last apply
 * added; a Deployment is bound to its SeccompProfile only once the server reports SPO's status `Installed` (the
 * server answers GETs of a profile from a queue of states). No cluster or network needed (plain HTTP on loopback, so TLS verification is off for this server only).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  eksKubeConfig,
  eksToken,
  KubernetesApplier,
  SeccompProfileNotReady,
} from '../../../lib/adapters/kubernetes-applier.ts';
import { generateNetworkPolicies } from '../../../lib/core/artifacts/network-policy.ts';
import { generateSeccomp } from '../../../lib/core/artifacts/seccomp.ts';
import { spoProfileName } from '../../../lib/core/artifacts/seccomp-spo.ts';
import { supportBaseline } from '../../unit/artifacts/fixtures.ts';

const RESOURCES: Record<string, { name: string; kind: string; namespaced?: boolean }[]> = {
  '/apis/networking.k8s.io/v1': [{ name: 'networkpolicies', kind: 'NetworkPolicy' }],
  '/apis/cilium.io/v2': [{ name: 'ciliumnetworkpolicies', kind: 'CiliumNetworkPolicy' }],
  '/apis/security-profiles-operator.x-k8s.io/v1': [
    { name: 'seccompprofiles', kind: 'SeccompProfile', namespaced: false },
  ],
  '/apis/projectcalico.org/v3': [{ name: 'stagedkubernetesnetworkpolicies', kind: 'StagedKubernetesNetworkPolicy' }],
  '/apis/apps/v1': [{ name: 'deployments', kind: 'Deployment' }],
};

let server: Server;
let url: string;
const calls: { method: string; path: string; contentType?: string; auth?: string; body?: Record<string, unknown> }[] =
  [];
/** SPO's `status.status` answered to successive GETs of a SeccompProfile (the last one repeats; '' = no status). */
let spoStates: string[] = ['Installed'];

beforeAll(async () => {
  server = createServer((req, res) => {
    let raw = '';
    req.on('data', (c) => {
      raw += c;
    });
    req.on('end', () => {
      const u = new URL(req.url ?? '/', 'http://x');
      const send = (status: number, body: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(body));
      };
      const group = RESOURCES[u.pathname];
      if (req.method === 'GET' && group) {
        return send(200, {
          kind: 'APIResourceList',
          groupVersion: u.pathname.replace(/^\/apis\//, ''),
          resources: group.map((r) => ({
            ...r,
            namespaced: r.namespaced ?? true,
            singularName: '',
            verbs: ['get', 'patch', 'delete'],
          })),
        });
      }
      const body = raw ? (JSON.parse(raw) as Record<string, unknown>) : undefined;
      calls.push({
        method: req.method ?? '',
        path: u.pathname,
        contentType: req.headers['content-type'],
        auth: req.headers.authorization,
        ...(body ? { body } : {}),
      });
      if (req.method === 'PATCH') return send(200, body);
      if (req.method === 'GET' && u.pathname.includes('/seccompprofiles/')) {
        const state = spoStates.length > 1 ? spoStates.shift()! : spoStates[0]!;
        return send(200, {
          apiVersion: 'security-profiles-operator.x-k8s.io/v1',
          kind: 'SeccompProfile',
          metadata: { name: u.pathname.split('/').at(-1) },
          ...(state ? { status: { status: state } } : {}),
        });
      }
      if (req.method === 'DELETE') return send(200, { kind: 'Status', status: 'Success' });
      return send(404, { kind: 'Status', message: `unhandled ${req.method} ${u.pathname}` });
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise<void>((r) => server.close(() => r()));
});

const PROFILE = spoProfileName(supportBaseline.subject);
const manifests = () =>
  [...generateNetworkPolicies(supportBaseline).files, ...generateSeccomp(supportBaseline).files]
    .filter((f) => f.path.endsWith('.yaml'))
    .map((f) => ({ path: f.path, content: f.content }));

describe('KubernetesApplier', () => {
  it('monitor applies the logging SeccompProfile and a Calico staged policy, with server-side apply', async () => {
    calls.length = 0;
    const a = new KubernetesApplier({
      kubeConfig: eksKubeConfig(url, undefined, 'tok-1', true),
      networkPolicyAudit: 'calico-staged',
    });
    const r = await a.apply(supportBaseline.subject, 'monitor', manifests());
    expect(r.applied.sort()).toEqual([
      'monitor:Deployment/support/support-agent',
      `monitor:SeccompProfile/${PROFILE}`,
      'monitor:StagedKubernetesNetworkPolicy/support/warden-support-agent',
    ]);
    const patches = calls.filter((c) => c.method === 'PATCH');
    expect(patches.map((c) => c.path).sort()).toEqual([
      '/apis/apps/v1/namespaces/support/deployments/support-agent',
      '/apis/projectcalico.org/v3/namespaces/support/stagedkubernetesnetworkpolicies/warden-support-agent',
      `/apis/security-profiles-operator.x-k8s.io/v1/seccompprofiles/${PROFILE}`,
    ]);
    // The profile is applied before the Deployment patch that makes pods use it.
    expect(patches.findIndex((p) => p.path.includes('seccompprofiles'))).toBeLessThan(
      patches.findIndex((p) => p.path.includes('deployments')),
    );
    expect(patches[0]!.contentType).toBe('application/apply-patch+yaml');
    expect(patches[0]!.auth).toBe('Bearer tok-1');
    const profile = patches.find((p) => p.path.includes('seccompprofiles'))!.body as {
      spec: { defaultAction: string };
    };
    expect(profile.spec.defaultAction).toBe('SCMP_ACT_LOG');
  });

  it('enforce applies the NetworkPolicy, the Cilium policy and the enforcing profile; rollback removes them', async () => {
    calls.length = 0;
    const a = new KubernetesApplier({ kubeConfig: eksKubeConfig(url, undefined, 'tok-2', true) });
    const r = await a.apply(supportBaseline.subject, 'enforce', manifests());
    expect(r.applied.sort()).toEqual([
      'enforce:CiliumNetworkPolicy/support/warden-support-agent-fqdn',
      'enforce:Deployment/support/support-agent',
      'enforce:NetworkPolicy/support/warden-support-agent',
      `enforce:SeccompProfile/${PROFILE}`,
    ]);
    const np = calls.find((c) => c.path.endsWith('/networkpolicies/warden-support-agent'))!.body as {
      metadata: { annotations: Record<string, string> };
    };
    expect(np.metadata.annotations['warden.dev/mode']).toBe('enforce');
    calls.length = 0;
    await a.rollback(supportBaseline.subject);
    // The Deployment is not Warden's: rollback restores the previous profile content, never deletes the workload.
    expect(calls.filter((c) => c.method === 'DELETE').map((c) => c.path.split('/').at(-2))).toEqual([
      'networkpolicies',
      'ciliumnetworkpolicies',
      'seccompprofiles',
    ]);
    const released = calls.find((c) => c.method === 'PATCH' && c.path.endsWith('/deployments/support-agent'))!;
    expect(released.body).toEqual({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'support-agent', namespace: 'support' },
    });
  });

  it('binds the Deployment only once SPO reports the profile Installed on every node', async () => {
    calls.length = 0;
    spoStates = ['', 'Pending', 'Partial', 'Installed'];
    const a = new KubernetesApplier({
      kubeConfig: eksKubeConfig(url, undefined, 'tok-3', true),
      seccompReady: { pollMs: 5 },
    });
    await a.apply(supportBaseline.subject, 'enforce', manifests());
    const seq = calls.map((c) => `${c.method} ${c.path.split('/').at(-2)}`);
    expect(seq.filter((c) => c === 'GET seccompprofiles')).toHaveLength(4);
    expect(seq.indexOf('PATCH seccompprofiles')).toBeLessThan(seq.indexOf('GET seccompprofiles'));
    expect(seq.lastIndexOf('GET seccompprofiles')).toBeLessThan(seq.indexOf('PATCH deployments'));
  });

  it('an Error state or a timeout fails the apply before any Deployment is touched; rollback removes the profile', async () => {
    for (const [states, why] of [
      [['Error'], /status: Error/],
      [['Pending'], /status: Pending after 40 ms/],
    ] as const) {
      calls.length = 0;
      spoStates = [...states];
      const a = new KubernetesApplier({
        kubeConfig: eksKubeConfig(url, undefined, 'tok-4', true),
        seccompReady: { timeoutMs: 40, pollMs: 5 },
      });
      const err = await a.apply(supportBaseline.subject, 'monitor', manifests()).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(SeccompProfileNotReady);
      expect((err as Error).message).toMatch(why);
      expect(calls.some((c) => c.path.includes('/deployments/'))).toBe(false);
      calls.length = 0;
      await a.rollback(supportBaseline.subject);
      expect(calls.filter((c) => c.method === 'DELETE').map((c) => c.path.split('/').at(-2))).toContain(
        'seccompprofiles',
      );
    }
    spoStates = ['Installed'];
  });

  it('makes an EKS token the way aws eks get-token does', async () => {
    const token = await eksToken(
      'prod',
      'us-east-1',
      { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' },
      new Date('2026-11-28T00:00:00Z'),
    );
    expect(token.startsWith('k8s-aws-v1.')).toBe(true);
    const decoded = Buffer.from(token.slice('k8s-aws-v1.'.length), 'base64url').toString('utf8');
    const u = new URL(decoded);
    expect(u.host).toBe('sts.us-east-1.amazonaws.com');
    expect(u.searchParams.get('Action')).toBe('GetCallerIdentity');
    expect(u.searchParams.get('X-Amz-SignedHeaders')).toBe('host;x-k8s-aws-id');
    expect(u.searchParams.get('X-Amz-Expires')).toBe('60');
  });
});
