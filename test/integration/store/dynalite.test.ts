import { startDynaliteStore } from '../../support/dynalite.ts';
import { storeContract } from './store-contract.ts';

// Both write paths against the same contract: conditional UpdateItem (shared tables) and the embedded store's
// single-writer batched merge.
storeContract('dynalite (in-process)', () => startDynaliteStore());
storeContract('dynalite (in-process, single writer)', () => startDynaliteStore({ singleWriter: true }));
