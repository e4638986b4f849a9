import { storeAt } from '../../support/dynalite.ts';
import { startMoto } from '../../support/moto.ts';
import { ingestContract } from './ingest-contract.ts';

ingestContract('moto_server', async () => {
  const moto = await startMoto();
  const store = await storeAt(moto.clientConfig, 'warden-ingest', { description: 'moto' });
  return {
    store,
    stop: async () => {
      await store.close();
      await moto.stop();
    },
  };
});
