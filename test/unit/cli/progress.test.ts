/** The status line: only on a terminal, only after two seconds, erased before the result. */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { PROGRESS_DELAY_MS, progressPhase, startProgress, stopProgress } from '../../../lib/cli/progress.ts';

function stream(isTTY: boolean) {
  const chunks: string[] = [];
  return { isTTY, columns: 80, chunks, write: (c: string) => chunks.push(c) > 0 };
}

describe('progress', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => {
    stopProgress();
    vi.useRealTimers();
  });

  it('stays silent for a quick command', () => {
    const s = stream(true);
    startProgress('report', { enabled: true, stream: s });
    vi.advanceTimersByTime(PROGRESS_DELAY_MS - 1);
    stopProgress();
    expect(s.chunks).toEqual([]);
  });

  it('shows the command, its phase and the elapsed time after two seconds, then erases the line', () => {
    const s = stream(true);
    startProgress('report', { enabled: true, stream: s });
    progressPhase('rendering charts');
    vi.advanceTimersByTime(PROGRESS_DELAY_MS + 1000);
    const line = s.chunks.at(-1) ?? '';
    expect(line.startsWith('\r') && line.endsWith('\x1b[K')).toBe(true);
    expect(line.slice(1, -3)).toMatch(/^. warden report: rendering charts \(3 s\)$/);
    stopProgress();
    expect(s.chunks.at(-1)).toBe('\r\x1b[K');
  });

  it('never writes to a pipe or when disabled (--json)', () => {
    const pipe = stream(false);
    startProgress('drift', { enabled: true, stream: pipe });
    vi.advanceTimersByTime(10_000);
    const tty = stream(true);
    startProgress('drift', { enabled: false, stream: tty });
    vi.advanceTimersByTime(10_000);
    expect(pipe.chunks).toEqual([]);
    expect(tty.chunks).toEqual([]);
  });
});
