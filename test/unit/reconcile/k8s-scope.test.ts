import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { openApiPaths } from '../../../lib/adapters/declared-scope.ts';
import {
  declaredNetwork,
  deploymentsUsing,
  imdsReachability,
  irsaRoleOf,
  parseK8sSnapshot,
  selectorMatches,
  workloadOf,
} from '../../../lib/adapters/k8s-scope.ts';

const dep = (name: string, labels: Record<string, string>, extra: Record<string, unknown> = {}) => ({
  metadata: { name, namespace: 'ns' },
  spec: { template: { metadata: { labels }, spec: { containers: [{ name: 'c', image: 'img' }], ...extra } } },
});
const np = (name: string, podSelector: object, egress?: object[], policyTypes?: string[]) => ({
  metadata: { name, namespace: 'ns' },
  spec: { podSelector, ...(egress ? { egress } : {}), ...(policyTypes ? { policyTypes } : {}) },
});

describe('selectorMatches (Kubernetes label selector semantics)', () => {
  it.each([
    [{}, { app: 'a' }, true],
    [{ matchLabels: { app: 'a' } }, { app: 'a', x: 'y' }, true],
    [{ matchLabels: { app: 'a' } }, { app: 'b' }, false],
    [{ matchExpressions: [{ key: 'tier', operator: 'In', values: ['web', 'api'] }] }, { tier: 'api' }, true],
    [{ matchExpressions: [{ key: 'tier', operator: 'NotIn', values: ['web'] }] }, {}, true],
    [{ matchExpressions: [{ key: 'tier', operator: 'Exists' }] }, {}, false],
    [{ matchExpressions: [{ key: 'tier', operator: 'DoesNotExist' }] }, { tier: 'x' }, false],
  ])('%j selects %j: %s', (sel, labels, want) => {
    expect(selectorMatches(sel, labels)).toBe(want);
  });
});

describe('declaredNetwork', () => {
  const { snapshot } = parseK8sSnapshot('c', {
    deployments: [dep('agent', { app: 'agent' })],
    networkPolicies: [
      np('own', { matchLabels: { app: 'agent' } }, [
        { to: [{ ipBlock: { cidr: '10.0.0.0/8', except: ['10.1.0.0/16'] } }], ports: [{ port: 443 }] },
      ]),
      np('ns-wide', {}, [
        {
          to: [{ namespaceSelector: { matchLabels: { name: 'kube-system' } } }],
          ports: [{ protocol: 'UDP', port: 53 }],
        },
      ]),
      np('ingress-only', { matchLabels: { app: 'agent' } }, undefined, ['Ingress']),
      np('other', { matchLabels: { app: 'other' } }, [{}]),
    ],
  });
  const d = snapshot.deployments[0]!;

  it('keeps policies selecting the pods, marks namespace-wide ones, and restricts egress only with Egress types', () => {
    const n = declaredNetwork(d, snapshot.networkPolicies);
    expect(n.policies).toEqual(['ns/ingress-only', 'ns/ns-wide', 'ns/own']);
    expect(n.egressRestricted).toBe(true);
    expect(n.rules).toEqual([
      {
        policy: 'ns/own',
        index: 0,
        namespaceWide: false,
        peers: [{ cidr: '10.0.0.0/8', except: ['10.1.0.0/16'] }],
        ports: [{ protocol: 'TCP', port: 443 }],
      },
      {
        policy: 'ns/ns-wide',
        index: 0,
        namespaceWide: true,
        peers: [{ selector: 'namespace:name=kube-system' }],
        ports: [{ protocol: 'UDP', port: 53 }],
      },
    ]);
  });

  it('IMDS: blocked by an egress allow-list without 169.254.169.254, reachable otherwise per hop limit', () => {
    const w = workloadOf(d);
    const n = declaredNetwork(d, snapshot.networkPolicies);
    expect(imdsReachability(w, n, { httpTokens: 'required', hopLimit: 2 }).reachable).toBe(false);
    const open = declaredNetwork(d, []);
    expect(imdsReachability(w, open, { httpTokens: 'required', hopLimit: 1 })).toMatchObject({ reachable: false });
    expect(imdsReachability(w, open, { httpTokens: 'required', hopLimit: 2 })).toMatchObject({ reachable: true });
    expect(imdsReachability(w, open, { httpTokens: 'optional', hopLimit: 1 })).toMatchObject({ reachable: true });
    expect(imdsReachability({ ...w, hostNetwork: true }, n, { httpTokens: 'required', hopLimit: 1 }).reachable).toBe(
      true,
    );
    expect(imdsReachability(w, open, undefined).reason).toMatch(/assumed reachable/);
  });
});

describe('workload and service accounts', () => {
  it('reads seccomp, privilege flags and the default service account', () => {
    const { snapshot } = parseK8sSnapshot('c', {
      deployments: [
        dep(
          'a',
          { app: 'a' },
          { securityContext: { seccompProfile: { type: 'Localhost', localhostProfile: 'profiles/a.json' } } },
        ),
      ],
    });
    expect(workloadOf(snapshot.deployments[0]!)).toEqual({
      serviceAccount: 'default',
      seccompProfile: 'Localhost:profiles/a.json',
      runAsNonRoot: false,
      privileged: false,
      allowPrivilegeEscalation: true,
      hostNetwork: false,
      images: ['img'],
    });
  });

  it('maps IRSA annotations and the Deployments using a service account', () => {
    const { snapshot } = parseK8sSnapshot('c', {
      deployments: [dep('a', {}, { serviceAccountName: 'sa' }), dep('b', {}, { serviceAccountName: 'sa' })],
      serviceAccounts: [
        {
          metadata: {
            name: 'sa',
            namespace: 'ns',
            annotations: { 'eks.amazonaws.com/role-arn': 'arn:aws:iam::1:role/r' },
          },
        },
      ],
    });
    expect(irsaRoleOf(snapshot, 'ns', 'sa')).toBe('arn:aws:iam::1:role/r');
    expect(deploymentsUsing(snapshot, 'ns', 'sa')).toEqual(['k8s:c/ns/a', 'k8s:c/ns/b']);
  });

  it('rejects malformed objects with a reason and never throws (property)', () => {
    const r = parseK8sSnapshot('c', { deployments: [{ metadata: {} }], networkPolicies: [42] });
    expect(r.errors).toHaveLength(2);
    expect(r.errors[0]).toMatch(/^deployment\[0\]: metadata\.name/);
    fc.assert(
      fc.property(fc.array(fc.anything()), fc.array(fc.anything()), (d, n) => {
        const x = parseK8sSnapshot('c', { deployments: d, networkPolicies: n });
        expect(x.snapshot.deployments.length + x.errors.length).toBeGreaterThanOrEqual(0);
      }),
    );
  });
});

describe('openApiPaths (Bedrock action group schemas)', () => {
  it('reads paths from JSON and from YAML', () => {
    expect(openApiPaths(JSON.stringify({ openapi: '3.0.0', paths: { '/tickets/{id}': {}, '/close': {} } }))).toEqual([
      '/close',
      '/tickets/{id}',
    ]);
    expect(
      openApiPaths(
        'openapi: 3.0.0\npaths:\n  /tickets/{id}:\n    get: {}\n  "/close":\n    post: {}\ncomponents: {}\n',
      ),
    ).toEqual(['/close', '/tickets/{id}']);
    expect(openApiPaths('not a schema')).toEqual([]);
  });
});
