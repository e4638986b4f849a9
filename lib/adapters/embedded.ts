/**
 * The embedded DynamoDB endpoint: dynalite running in this process on a loopback port, in memory or on disk
 * (LevelDB under a directory, `.warden/` by default). The Store talks to it over the normal DynamoDB wire protocol,
 * so the same adapter code runs against it, moto_server and AWS.
 */
import { mkdirSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import dynalite from 'dynalite';

export interface EmbeddedEndpoint {
  endpoint: string;
  /** Directory of the on-disk database, or undefined for memory. */
  path: string | undefined;
  close(): Promise<void>;
}

/**
 * Starts dynalite on 127.0.0.1 with an ephemeral port.
 * @param path LevelDB directory (created if missing); undefined keeps everything in memory.
 */
export async function startEmbedded(path?: string): Promise<EmbeddedEndpoint> {
  if (path) mkdirSync(path, { recursive: true });
  // Table state changes are instant: there is no real provisioning to wait for.
  const server: Server = dynalite({ path, createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    path,
    close: () =>
      new Promise<void>((resolve, reject) => {
        // Keep-alive sockets from SDK clients would otherwise hold the graceful close open.
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}
