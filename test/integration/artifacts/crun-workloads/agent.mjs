// What the crun suite asks of Node.js under a generated enforce profile, one line per check ("<check> ok").
// Held out from the base derivation (scripts/seccomp-workloads/ are the programs the bases were traced from).
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import tls from 'node:tls';
import { Worker } from 'node:worker_threads';

const TLS_DIR = process.env.TLS_DIR ?? '/tls';

async function thread() {
  const w = new Worker('require("node:worker_threads").parentPort.postMessage(process.pid)', { eval: true });
  const [pid] = await once(w, 'message');
  if (pid !== process.pid) throw new Error('worker');
  await w.terminate();
  await fsp.readFile('/etc/hostname').catch(() => undefined); // the libuv thread pool
}

async function socket() {
  const srv = net.createServer((c) => c.on('data', (d) => c.end(d.toString().toUpperCase())));
  srv.listen(0, '127.0.0.1');
  await once(srv, 'listening');
  const c = net.connect(srv.address().port, '127.0.0.1');
  c.write('agent');
  const [d] = await once(c, 'data');
  if (d.toString() !== 'AGENT') throw new Error('socket');
  srv.close();
}

async function tlsCheck() {
  const cert = fs.readFileSync(`${TLS_DIR}/cert.pem`);
  const srv = tls.createServer({ key: fs.readFileSync(`${TLS_DIR}/key.pem`), cert }, (s) => s.pipe(s));
  srv.listen(0, '127.0.0.1');
  await once(srv, 'listening');
  const c = tls.connect({ port: srv.address().port, host: '127.0.0.1', ca: cert, servername: 'localhost' });
  await once(c, 'secureConnect');
  c.write('secret');
  const [d] = await once(c, 'data');
  if (d.toString() !== 'secret' || !c.getProtocol().startsWith('TLS')) throw new Error('tls');
  c.destroy();
  srv.close();
}

async function files() {
  if (!(await fsp.readFile('/etc/os-release', 'utf8')).includes('ID=')) throw new Error('read');
  const entries = await fsp.readdir('/usr/lib');
  if (!entries.length) throw new Error('readdir');
  await fsp.copyFile(new URL(import.meta.url).pathname, '/tmp/copy.mjs');
  await fsp.rm('/tmp/copy.mjs');
}

async function pipe() {
  const child = spawn('/bin/cat', [], { stdio: ['pipe', 'pipe', 'inherit'] });
  child.stdin.end('child');
  let out = '';
  for await (const d of child.stdout) out += d;
  if (out !== 'child') throw new Error('pipe');
  process.stdout.write('stdout is a pipe: ');
}

async function timers() {
  await sleep(10);
  await new Promise((res) => setImmediate(res));
  let n = 0;
  await new Promise((res) => {
    const t = setInterval(() => {
      if (++n === 3) {
        clearInterval(t);
        res();
      }
    }, 5);
  });
}

for (const [name, fn] of [
  ['thread', thread],
  ['socket', socket],
  ['tls', tlsCheck],
  ['file', files],
  ['pipe', pipe],
  ['timer', timers],
]) {
  await fn();
  process.stdout.write(`${name} ok\n`);
}
process.stdout.write('all ok\n');
