/**
 * Starts a real `moto_server` (moto 5.2.1, preinstalled; see DESIGN.md) on a free loopback port for integration
 * tests, and stops it on teardown. Each call gets its own server, so tests do not share state.
 *
 * @example
 *   const moto = await startMoto();
 *   const client = new DynamoDBClient(moto.clientConfig);
 *   ...
 *   await moto.stop();
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { freePort, waitForHttp } from './net.ts';

export interface MotoServer {
  endpoint: string;
  port: number;
  /** Ready-to-use SDK client config: endpoint, a region and dummy credentials (moto accepts any). */
  clientConfig: {
    endpoint: string;
    region: string;
    credentials: { accessKeyId: string; secretAccessKey: string };
    forcePathStyle: boolean;
  };
  /** Resets all moto state (POST /moto-api/reset). */
  reset(): Promise<void>;
  stop(): Promise<void>;
}

export interface StartMotoOptions {
  region?: string;
  /** Milliseconds to wait for the server to answer; default 30 s (first start imports many Python modules). */
  timeoutMs?: number;
}

/** Throws with an install hint when moto_server is not on PATH; a missing prerequisite must fail, not skip. */
export function assertMotoInstalled(): void {
  const r = spawnSync('moto_server', ['--help'], { stdio: 'ignore' });
  if (r.error || r.status !== 0) {
    throw new Error(
      "moto_server is not installed or not on PATH: install it with `pip install 'moto[server]==5.2.1'` (see scripts/setup.sh)",
    );
  }
}

export async function startMoto(opts: StartMotoOptions = {}): Promise<MotoServer> {
  assertMotoInstalled();
  const port = await freePort();
  const endpoint = `http://127.0.0.1:${port}`;
  const child: ChildProcess = spawn('moto_server', ['-H', '127.0.0.1', '-p', String(port)], {
    stdio: ['ignore', 'ignore', 'pipe'],
    // MOTO_PORT lets moto's Step Functions call back into this server.
    env: { ...process.env, MOTO_PORT: String(port) },
  });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-4000);
  });
  let exited = false;
  child.once('exit', () => {
    exited = true;
  });
  try {
    await waitForHttp(`${endpoint}/moto-api/`, opts.timeoutMs ?? 30_000, () => exited);
  } catch (err) {
    child.kill('SIGKILL');
    throw new Error(`moto_server did not start on ${endpoint}: ${(err as Error).message}\n${stderr}`, { cause: err });
  }
  const region = opts.region ?? 'us-east-1';
  return {
    endpoint,
    port,
    clientConfig: {
      endpoint,
      region,
      credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
      forcePathStyle: true,
    },
    async reset() {
      const res = await fetch(`${endpoint}/moto-api/reset`, { method: 'POST' });
      if (!res.ok) throw new Error(`moto reset failed: HTTP ${res.status}`);
    },
    stop: () => stopChild(child, () => exited),
  };
}

async function stopChild(child: ChildProcess, hasExited: () => boolean): Promise<void> {
  if (hasExited()) return;
  const done = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
  await done;
  clearTimeout(timer);
}
