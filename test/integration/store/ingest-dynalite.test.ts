import { startDynaliteStore } from '../../support/dynalite.ts';
import { ingestContract } from './ingest-contract.ts';

ingestContract('dynalite (in-process)', () => startDynaliteStore());
