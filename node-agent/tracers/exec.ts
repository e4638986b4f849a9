/** exec: every exec in a watched cgroup (bpf/tracers/exec.c); an MCP server launch is also an `mcp-spawn`. */
import { z } from 'zod';
import { mcpServerFromArgv } from '../mcp.ts';
import { redactArgv } from '../redact.ts';
import { cgroupIdSchema, pid, tracer, ts, v } from './tracer.ts';

export const execTracer = tracer({
  type: 'exec',
  schema: z.object({
    type: z.literal('exec'),
    v,
    ts,
    pid,
    ppid: pid,
    uid: z.number().int().nonnegative(),
    cgroupId: cgroupIdSchema,
    comm: z.string(),
    /** The path the kernel executed (as passed to execve, resolved by the kernel for the binfmt). */
    filename: z.string(),
    argv: z.array(z.string()),
    /** True when argv was longer than the kernel-side copy buffer and has been cut. */
    argvTruncated: z.boolean(),
  }),
  aggregate(r, w) {
    const path = r.filename;
    const redact = (argv: string[]) => (w.redactArgv ? redactArgv(argv) : { argv, redacted: false });
    // Redaction runs once per distinct behavior in the window, not per event.
    w.upsert(`${w.subject}\u0000exec\u0000${path}`, () => {
      const red = redact(r.argv);
      return {
        type: 'exec',
        time: w.time(),
        path,
        argv: red.argv,
        ...(red.redacted ? { argvRedacted: true } : {}),
        pid: r.pid,
        ppid: r.ppid,
        uid: r.uid,
        attribution: w.attribution,
      };
    });
    const mcp = mcpServerFromArgv(r.filename, r.argv);
    if (mcp) {
      w.upsert(`${w.subject}\u0000mcp\u0000${mcp.name}`, () => ({
        type: 'mcp-spawn',
        time: w.time(),
        transport: mcp.transport,
        name: mcp.name,
        command: redact(r.argv).argv,
        attribution: w.attribution,
      }));
    }
  },
});
