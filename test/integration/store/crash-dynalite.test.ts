import { startDynalite } from '../../support/dynalite.ts';
import { crashContract } from './crash-contract.ts';
import { dynamoCrashBackend } from './crash-dynamo.ts';

crashContract(
  'dynalite (in-process)',
  async () => {
    const d = await startDynalite();
    return dynamoCrashBackend(d.clientConfig, d.stop);
  },
  10,
);
