/**
 * Progress for any command that runs longer than two seconds: on a terminal (and not under `--json`) a status line on
 * stderr shows what the command is doing and for how long, and is erased before the command prints its result.
 * Commands name their phases with {@link progressPhase}; commands that draw their own bars (demo, ingest) opt out.
 */

/** Quiet commands stay quiet: the line appears only after this long. */
export const PROGRESS_DELAY_MS = 2000;
const FRAMES = ['|', '/', '-', '\\'];

interface ProgressStream {
  isTTY?: boolean;
  columns?: number;
  write(chunk: string): boolean;
}

interface State {
  stream: ProgressStream;
  command: string;
  phase: string;
  started: number;
  shown: boolean;
  frame: number;
  delay?: ReturnType<typeof setTimeout>;
  tick?: ReturnType<typeof setInterval>;
}

let state: State | undefined;

function draw(s: State): void {
  const secs = Math.floor((Date.now() - s.started) / 1000);
  const text = `${FRAMES[s.frame++ % FRAMES.length]} warden ${s.command}: ${s.phase} (${secs} s)`;
  // \x1b[K erases what a longer previous line left behind.
  s.stream.write(`\r${text.slice(0, Math.max(20, (s.stream.columns ?? 80) - 1))}\x1b[K`);
  s.shown = true;
}

/** Starts the status line for `command` (no-op unless `stream` is a TTY and `enabled`). */
export function startProgress(
  command: string,
  opts: { enabled: boolean; stream?: ProgressStream; delayMs?: number; intervalMs?: number },
): void {
  stopProgress();
  const stream = opts.stream ?? process.stderr;
  if (!opts.enabled || !stream.isTTY) return;
  const s: State = { stream, command, phase: 'working', started: Date.now(), shown: false, frame: 0 };
  s.delay = setTimeout(() => {
    draw(s);
    s.tick = setInterval(() => draw(s), opts.intervalMs ?? 250);
    s.tick.unref?.();
  }, opts.delayMs ?? PROGRESS_DELAY_MS);
  s.delay.unref?.();
  state = s;
}

/** Names what the running command is doing now (shown on the status line). */
export function progressPhase(phase: string): void {
  if (state) state.phase = phase;
}

/** Erases the status line; call before printing a result. */
export function stopProgress(): void {
  const s = state;
  if (!s) return;
  state = undefined;
  if (s.delay) clearTimeout(s.delay);
  if (s.tick) clearInterval(s.tick);
  if (s.shown) s.stream.write('\r\x1b[K');
}
