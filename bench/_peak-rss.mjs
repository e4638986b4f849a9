// Preloaded into benchmarked processes (`node --import`): writes the process's peak RSS (KiB) and CPU time (user +
// system, every thread, microseconds) on exit, as JSON.
import { writeFileSync } from 'node:fs';

const out = process.env.WARDEN_BENCH_RSS_FILE;
if (out)
  process.on('exit', () => {
    const u = process.resourceUsage();
    writeFileSync(out, JSON.stringify({ maxRSS: u.maxRSS, cpuMicros: u.userCPUTime + u.systemCPUTime }));
  });
