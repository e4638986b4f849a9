import { startMoto } from '../../support/moto.ts';
import { crashContract } from './crash-contract.ts';
import { dynamoCrashBackend } from './crash-dynamo.ts';

crashContract(
  'moto_server',
  async () => {
    const moto = await startMoto();
    return dynamoCrashBackend(moto.clientConfig, () => moto.stop());
  },
  6,
);
