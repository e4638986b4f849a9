import { SqliteStore } from '../../../lib/adapters/sqlite-store.ts';
import { ingestContract } from './ingest-contract.ts';

ingestContract('the embedded SQLite store (in memory)', async () => {
  const store = new SqliteStore();
  return { store, stop: () => store.close() };
});
