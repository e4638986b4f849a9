/**
 * Caches what a loader returns for the life of the execution environment, but never a failure: a throttled or
 * timed-out Secrets Manager read fails this call only, and the next call reads again (a cached rejection would
 * fail every request until the next cold start).
 */
export function memoSuccess<T>(load: () => Promise<T>): () => Promise<T> {
  let value: Promise<T> | undefined;
  return () => {
    if (value) return value;
    const p = load();
    value = p;
    p.catch(() => {
      // Concurrent callers share this rejection; only the one that is still cached is forgotten.
      if (value === p) value = undefined;
    });
    return p;
  };
}
