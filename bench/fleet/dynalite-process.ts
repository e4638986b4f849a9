/**
 * dynalite in a child process, for the metered part of the fleet benchmark: the handlers run in the benchmark's
 * process, and a Lambda's duration must not include the emulator's own work (in AWS, DynamoDB's is on other machines).
 */
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';

const DYNALITE = createRequire(import.meta.url).resolve('dynalite');

export interface ChildEndpoint {
  endpoint: string;
  close(): Promise<void>;
}

/** Starts an in-memory dynalite in its own process on an ephemeral loopback port. */
export async function startDynaliteProcess(): Promise<ChildEndpoint> {
  const script = `require(${JSON.stringify(DYNALITE)})({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 })
    .listen(0, '127.0.0.1', function () { process.stdout.write(this.address().port + '\\n'); });`;
  const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('\n')) resolve(Number(out.trim()));
    });
    child.once('exit', (code) => reject(new Error(`dynalite exited with ${code} before listening`)));
  });
  return {
    endpoint: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        child.kill();
      }),
  };
}
