import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { cgroupPathFromProcText, parseCgroupPath } from '../../../node-agent/cgroup.ts';
import { summarizePodList } from '../../../node-agent/kube.ts';
import { redactArgv } from '../../../node-agent/redact.ts';

const hex = (n: number) => fc.stringMatching(new RegExp(`^[0-9a-f]{${n}}$`));
const uid = fc.tuple(hex(8), hex(4), hex(4), hex(4), hex(12)).map((p) => p.join('-'));

describe('cgroup path parser properties', () => {
  it('never throws on arbitrary paths and /proc/<pid>/cgroup text', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 500 }), (s) => {
        parseCgroupPath(s);
        cgroupPathFromProcText(s);
      }),
      { numRuns: 500 },
    );
  });

  it('recovers container id, runtime and pod UID from every runtime x driver x QoS layout', () => {
    fc.assert(
      fc.property(
        hex(64),
        uid,
        fc.constantFrom('containerd', 'cri-o'),
        fc.constantFrom('systemd', 'cgroupfs'),
        fc.constantFrom('guaranteed', 'burstable', 'besteffort'),
        fc.boolean(),
        (id, podUid, runtime, driver, qos, nested) => {
          let path: string;
          if (driver === 'systemd') {
            const u = podUid.replace(/-/g, '_');
            const q = qos === 'guaranteed' ? '' : `/kubepods-${qos}.slice`;
            const pod = qos === 'guaranteed' ? `kubepods-pod${u}.slice` : `kubepods-${qos}-pod${u}.slice`;
            const leaf = runtime === 'containerd' ? `cri-containerd-${id}.scope` : `crio-${id}.scope`;
            path = `/kubepods.slice${q}/${pod}/${leaf}`;
          } else {
            const q = qos === 'guaranteed' ? '' : `/${qos}`;
            path = `/kubepods${q}/pod${podUid}/${runtime === 'containerd' ? id : `crio-${id}`}`;
          }
          if (nested) path += '/init.scope';
          const info = parseCgroupPath(path);
          expect(info).toMatchObject({ containerId: id, runtime, podUid, qos });
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('pod list and argv properties', () => {
  it('arbitrary JSON as a pod list never throws; every summarized pod has a name, namespace and uid', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.array(fc.jsonValue(), { maxLength: 5 }), (v, items) => {
        for (const input of [v, { items }]) {
          const r = summarizePodList(input);
          for (const p of r.pods) expect(p.name && p.namespace && p.uid).toBeTruthy();
        }
      }),
      { numRuns: 300 },
    );
  });

  it('redaction keeps argv length and argv[0], and is idempotent', () => {
    fc.assert(
      fc.property(fc.array(fc.string({ maxLength: 60 }), { minLength: 1, maxLength: 12 }), (argv) => {
        const once = redactArgv(argv);
        expect(once.argv).toHaveLength(argv.length);
        if (!/^[A-Za-z_][\w.-]*=|^-|:\/\//.test(argv[0]!)) expect(once.argv[0]).toBe(argv[0]);
        expect(redactArgv(once.argv).argv).toEqual(once.argv);
      }),
      { numRuns: 500 },
    );
  });
});
