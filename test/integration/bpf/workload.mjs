// The observed workload of the kernel tests and the agent benchmark's realistic case. Run inside a watched cgroup:
// execs a binary that opens a known file, opens it again itself, connects to a loopback TCP port and resolves a
// name through a loopback DNS server. Args: FILE TCP_PORT DNS_PORT QNAME
import { execFileSync } from 'node:child_process';
import { Resolver } from 'node:dns/promises';
import { readFileSync } from 'node:fs';
import net from 'node:net';

const [file, tcpPort, dnsPort, qname] = process.argv.slice(2);
execFileSync('/bin/cat', [file]);
// Repeat opens of one path: the kernel reports the first and counts the rest as suppressed.
readFileSync(file);
readFileSync(file);
await new Promise((resolve, reject) => {
  const s = net.connect(Number(tcpPort), '127.0.0.1', () => {
    s.end();
    resolve();
  });
  s.on('error', reject);
});
const resolver = new Resolver({ timeout: 2000, tries: 1 });
resolver.setServers([`127.0.0.1:${dnsPort}`]);
const addrs = await resolver.resolve4(qname);
process.stdout.write(JSON.stringify({ addrs }));
