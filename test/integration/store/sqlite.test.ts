import { SqliteStore } from '../../../lib/adapters/sqlite-store.ts';
import { storeContract } from './store-contract.ts';

storeContract('the embedded SQLite store (in memory)', async () => {
  const store = new SqliteStore();
  return { store, stop: () => store.close() };
});
