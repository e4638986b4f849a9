import { describe, expect, it } from 'vitest';
import { memoSuccess } from '../../../lambdas/shared/memo.ts';

describe('memoSuccess (the GitHub secret cache of the rollout Lambdas)', () => {
  it('reads once after a success', async () => {
    let reads = 0;
    const get = memoSuccess(async () => ++reads);
    expect(await get()).toBe(1);
    expect(await get()).toBe(1);
    expect(reads).toBe(1);
  });

  it('does not cache a failed read: the next call reads again', async () => {
    let reads = 0;
    const get = memoSuccess(async () => {
      reads++;
      if (reads === 1) throw Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' });
      return 'secret';
    });
    await expect(get()).rejects.toThrow('Rate exceeded');
    expect(await get()).toBe('secret');
    expect(await get()).toBe('secret');
    expect(reads).toBe(2);
  });

  it('callers during one failing read share it; the read after them starts fresh', async () => {
    let reads = 0;
    let fail!: (e: Error) => void;
    const get = memoSuccess(() => {
      reads++;
      return reads === 1 ? new Promise<string>((_, reject) => (fail = reject)) : Promise.resolve('ok');
    });
    const a = get();
    const b = get();
    fail(new Error('timeout'));
    await expect(a).rejects.toThrow('timeout');
    await expect(b).rejects.toThrow('timeout');
    expect(await get()).toBe('ok');
    expect(reads).toBe(2);
  });
});
