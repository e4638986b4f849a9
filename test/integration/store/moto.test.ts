import { storeAt } from '../../support/dynalite.ts';
import { startMoto } from '../../support/moto.ts';
import { storeContract } from './store-contract.ts';

storeContract('moto_server', async () => {
  const moto = await startMoto();
  const store = await storeAt(moto.clientConfig, 'warden-contract', { description: 'moto' });
  return {
    store,
    stop: async () => {
      await store.close();
      await moto.stop();
    },
  };
});
