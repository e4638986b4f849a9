/** Loader records for node-agent tests (node-agent/loader-protocol.ts), written once. */
import type { LoaderRecord } from '../../node-agent/loader-protocol.ts';

/** A TCP connect to `daddr`:443 by python3 in cgroup 42 at `ts`. */
export const connect = (ts: number, daddr: string): LoaderRecord => ({
  type: 'connect',
  v: 1,
  ts,
  pid: 9,
  cgroupId: '42',
  comm: 'python3',
  family: 'inet',
  protocol: 'tcp',
  daddr,
  dport: 443,
});
