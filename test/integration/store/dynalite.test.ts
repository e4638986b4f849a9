import { startDynaliteStore } from '../../support/dynalite.ts';
import { storeContract } from './store-contract.ts';

storeContract('dynalite (in-process)', () => startDynaliteStore());
