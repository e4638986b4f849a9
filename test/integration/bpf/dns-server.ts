/** A minimal loopback DNS server: answers every A question with one fixed address. For tests and the benchmark. */
import { createSocket, type Socket } from 'node:dgram';

export interface DnsServer {
  port: number;
  /** Query names received (lower-case), in order. */
  queries: string[];
  close: () => Promise<void>;
}

/** Reads the first question's name at offset 12; undefined when malformed. */
function questionEnd(msg: Buffer): { name: string; end: number } | undefined {
  const labels: string[] = [];
  let i = 12;
  while (i < msg.length) {
    const l = msg[i]!;
    if (l === 0) return { name: labels.join('.').toLowerCase(), end: i + 5 };
    if (l > 63 || i + 1 + l > msg.length) return undefined;
    labels.push(msg.subarray(i + 1, i + 1 + l).toString('latin1'));
    i += 1 + l;
  }
  return undefined;
}

export function startDnsServer(answer = '10.11.12.13'): Promise<DnsServer> {
  const sock: Socket = createSocket('udp4');
  const queries: string[] = [];
  sock.on('message', (msg, rinfo) => {
    const q = msg.length >= 12 ? questionEnd(msg) : undefined;
    if (!q || q.end > msg.length) return;
    queries.push(q.name);
    const header = Buffer.from([msg[0]!, msg[1]!, 0x81, 0x80, 0, 1, 0, 1, 0, 0, 0, 0]);
    const question = msg.subarray(12, q.end);
    const rr = Buffer.from([0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, ...answer.split('.').map(Number)]);
    sock.send(Buffer.concat([header, question, rr]), rinfo.port, rinfo.address);
  });
  return new Promise((resolve) => {
    sock.bind(0, '127.0.0.1', () => {
      resolve({
        port: sock.address().port,
        queries,
        close: () => new Promise((r) => sock.close(() => r())),
      });
    });
  });
}
