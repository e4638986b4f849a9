// Preloaded into benchmarked processes (`node --import`): writes the process's peak RSS (KiB) on exit.
import { writeFileSync } from 'node:fs';

const out = process.env.WARDEN_BENCH_RSS_FILE;
if (out) process.on('exit', () => writeFileSync(out, String(process.resourceUsage().maxRSS)));
