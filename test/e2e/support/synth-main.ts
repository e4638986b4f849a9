/** Child-process entry: `node --import tsx synth-main.ts OUTDIR` synthesizes the e2e stack into OUTDIR. */
import { synthesizeInto } from './deploy.ts';

const outdir = process.argv[2];
if (!outdir) throw new Error('usage: synth-main.ts OUTDIR');
synthesizeInto(outdir);
