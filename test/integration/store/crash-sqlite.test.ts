import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteStore } from '../../../lib/adapters/sqlite-store.ts';
import { crashContract } from './crash-contract.ts';

crashContract(
  'the embedded SQLite store (on disk)',
  async () => {
    const dir = mkdtempSync(join(tmpdir(), 'warden-crash-'));
    let n = 0;
    let path = join(dir, `${n}.db`);
    return {
      open: async (step) => new SqliteStore({ path, onStep: () => step('after') }),
      fresh: async () => {
        path = join(dir, `${++n}.db`);
      },
      stop: async () => rmSync(dir, { recursive: true, force: true }),
    };
  },
  30,
);
