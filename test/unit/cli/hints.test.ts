/** Hints run as printed: the invocation the user typed, the store they named, shell quoting. */
import { describe, expect, it } from 'vitest';
import { hint, shellWord, wardenPrefix } from '../../../lib/cli/hints.ts';

describe('wardenPrefix', () => {
  const cases: [string, { argv1: string; env: Record<string, string>; cwd: string }, string][] = [
    [
      'npx warden',
      { argv1: '/repo/node_modules/.bin/warden', env: { npm_command: 'exec' }, cwd: '/repo' },
      'npx warden',
    ],
    ['installed on PATH', { argv1: '/usr/local/bin/warden', env: {}, cwd: '/home/u' }, 'warden'],
    [
      'npm run warden',
      { argv1: '/repo/bin/warden.js', env: { npm_lifecycle_event: 'warden' }, cwd: '/repo' },
      'npm run warden --',
    ],
    [
      'node bin/warden.js in the repository',
      { argv1: '/repo/bin/warden.js', env: {}, cwd: '/repo' },
      'node bin/warden.js',
    ],
    ['node from elsewhere', { argv1: '/repo/bin/warden.js', env: {}, cwd: '/tmp/x' }, 'node /repo/bin/warden.js'],
    // a test runner started by npx spawning the CLI is not "npx warden"
    [
      'node under npx vitest',
      { argv1: '/repo/bin/warden.js', env: { npm_command: 'exec' }, cwd: '/repo' },
      'node bin/warden.js',
    ],
  ];
  it.each(cases)('%s', (_, inv, expected) => {
    expect(wardenPrefix(inv).join(' ')).toBe(expected);
  });
});

describe('hint', () => {
  const inv = { argv1: '/r/node_modules/.bin/warden', env: { npm_command: 'exec' }, cwd: '/r' };
  it('repeats the store and quotes what the shell would split', () => {
    expect(hint(['audit', '--input', 'audit:ZD-49173'], { invocation: inv })).toBe(
      'npx warden audit --input audit:ZD-49173',
    );
    expect(
      hint(['subjects'], { store: 'dynamodb://t?endpoint=http://localhost:4566&region=us-east-1', invocation: inv }),
    ).toBe("npx warden --store 'dynamodb://t?endpoint=http://localhost:4566&region=us-east-1' subjects");
  });
  it('quotes single quotes', () => {
    expect(shellWord("it's")).toBe(`'it'\\''s'`);
    expect(shellWord('k8s:prod/ns/app')).toBe('k8s:prod/ns/app');
  });
});
