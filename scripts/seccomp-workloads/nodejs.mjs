// Exercises what a Node.js agent process (or an MCP stdio server started with npx) does, for
// scripts/derive-seccomp-bases.ts to trace with strace -f: worker threads and the libuv pool, TCP/UDP/Unix sockets,
// a TLS handshake over loopback, HTTP server + fetch, files and fs.watch, pipes and child processes, timers, signals.
// Not the programs the crun suite runs (test/integration/artifacts/crun-workloads/).
import { execFileSync, spawn } from 'node:child_process';
import crypto from 'node:crypto';
import dgram from 'node:dgram';
import dns from 'node:dns/promises';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { Worker } from 'node:worker_threads';
import zlib from 'node:zlib';

const tlsDir = process.env.WARDEN_TLS_DIR;
const once = (emitter, ev) => new Promise((res) => emitter.once(ev, res));

async function threads() {
  const w = new Worker('const { parentPort } = require("node:worker_threads"); parentPort.postMessage(6 * 7);', {
    eval: true,
  });
  const [msg] = await Promise.all([once(w, 'message')]);
  if (msg !== 42) throw new Error('worker');
  await w.terminate();
  await new Promise((res, rej) => crypto.pbkdf2('pw', 'salt', 1000, 32, 'sha256', (e) => (e ? rej(e) : res())));
  await new Promise((res, rej) => zlib.gzip(Buffer.alloc(10000), (e) => (e ? rej(e) : res())));
  await dns.lookup('localhost');
}

async function sockets() {
  const srv = net.createServer((c) => c.pipe(c));
  srv.listen(0, '127.0.0.1');
  await once(srv, 'listening');
  const c = net.connect(srv.address().port, '127.0.0.1');
  c.setNoDelay(true);
  c.write('ping');
  await once(c, 'data');
  c.destroy();
  srv.close();
  const a = dgram.createSocket('udp4');
  a.bind(0, '127.0.0.1');
  await once(a, 'listening');
  const b = dgram.createSocket('udp4');
  b.send('x', a.address().port, '127.0.0.1');
  await once(a, 'message');
  a.close();
  b.close();
  const sock = path.join(os.tmpdir(), `warden-${process.pid}.sock`);
  const us = net.createServer((c) => c.end('unix'));
  us.listen(sock);
  await once(us, 'listening');
  const uc = net.connect(sock);
  await once(uc, 'data');
  uc.destroy();
  us.close();
}

async function tlsHandshake() {
  tls.createSecureContext({});
  if (!tlsDir) return;
  const key = fs.readFileSync(path.join(tlsDir, 'key.pem'));
  const cert = fs.readFileSync(path.join(tlsDir, 'cert.pem'));
  const srv = tls.createServer({ key, cert }, (s) => s.pipe(s));
  srv.listen(0, '127.0.0.1');
  await once(srv, 'listening');
  const c = tls.connect({ port: srv.address().port, host: '127.0.0.1', ca: cert, servername: 'localhost' });
  await once(c, 'secureConnect');
  c.write('tls');
  await once(c, 'data');
  c.destroy();
  srv.close();
}

async function httpRoundtrip() {
  const srv = http.createServer((_q, r) => r.end(JSON.stringify({ ok: true })));
  srv.listen(0, '127.0.0.1');
  await once(srv, 'listening');
  const res = await fetch(`http://127.0.0.1:${srv.address().port}/`);
  if (!(await res.json()).ok) throw new Error('http');
  srv.close();
}

async function files() {
  const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'warden-'));
  const p = path.join(dir, 'a.txt');
  await fsp.writeFile(p, 'hello\n'.repeat(100));
  const fh = await fsp.open(p, 'r+');
  await fh.sync();
  await fh.close();
  fs.readFileSync(p);
  await fsp.readFile('/etc/os-release');
  await fsp.rename(p, `${p}.2`);
  await fsp.stat(`${p}.2`);
  await fsp.chmod(`${p}.2`, 0o600);
  await fsp.mkdir(path.join(dir, 'd', 'e'), { recursive: true });
  await fsp.readdir('/etc');
  const watcher = fs.watch(dir);
  const ws = fs.createWriteStream(path.join(dir, 'b.txt'));
  ws.end('stream');
  await once(ws, 'finish');
  watcher.close();
  fs.realpathSync('/proc/self/exe');
  await fsp.rm(dir, { recursive: true, force: true });
}

async function pipes() {
  const child = spawn('/bin/cat', [], { stdio: ['pipe', 'pipe', 'inherit'] });
  child.stdin.end('sub');
  let out = '';
  child.stdout.on('data', (d) => {
    out += d;
  });
  await once(child, 'close');
  if (out !== 'sub') throw new Error('pipe');
  execFileSync('/bin/sh', ['-c', 'echo $HOME | wc -c'], { stdio: 'ignore' });
}

async function timersAndSignals() {
  await new Promise((res) => setTimeout(res, 10));
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
  performance.now();
  const got = once(process, 'SIGUSR2');
  const keepAlive = setTimeout(() => undefined, 5000); // a signal watcher alone does not keep the loop running
  process.kill(process.pid, 'SIGUSR2');
  await got;
  clearTimeout(keepAlive);
}

function misc() {
  crypto.randomBytes(16);
  crypto.createHash('sha256').update('x').digest('hex');
  crypto.randomUUID();
  os.cpus();
  os.networkInterfaces();
  os.userInfo();
  os.hostname();
  os.loadavg();
  process.memoryUsage();
  process.cpuUsage();
  process.stdout.isTTY;
}

misc();
await files();
await threads();
await sockets();
await tlsHandshake();
await httpRoundtrip();
await pipes();
await timersAndSignals();
await crypto.subtle.digest('SHA-256', new TextEncoder().encode('x'));
process.stdout.write('nodejs workload ok\n');
