/**
 * The crash contract on input that outgrows aggregate packs (lib/adapters/dynamo-store-packs.ts): node-agent batches
 * whose pod runs hundreds of distinct commands with long, incompressible argv in one hour, so the pack of that hour
 * closes part way and later keys go to single items. Kills at random store calls, then a replay, must leave the same
 * aggregates and counts as one clean run, wherever the kill fell between a pack write and the single items after it.
 */
import { generateSample } from '../../../lib/demo/ingest-sample.ts';
import { startDynalite } from '../../support/dynalite.ts';
import { crashContract } from './crash-contract.ts';
import { dynamoCrashBackend } from './crash-dynamo.ts';
import { nodeBatches } from './overflow-input.ts';

crashContract(
  'dynalite, packs that overflow',
  async () => {
    const d = await startDynalite();
    return dynamoCrashBackend(d.clientConfig, d.stop);
  },
  8,
  [...generateSample({ hours: 1, seed: 5 }), ...nodeBatches(3, 120)],
);
