/** The command registry and lazy loading: each entry loads the module that registers that command. */
import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { COMMANDS } from '../../../lib/cli/commands/index.ts';
import { parseAuditId } from '../../../lib/cli/ids.ts';
import { invokedCommand } from '../../../lib/cli/main.ts';

describe('invokedCommand', () => {
  const cases: [string[], string | undefined][] = [
    [['subjects'], 'subjects'],
    [['--json', 'drift', '--since', '30d'], 'drift'],
    [['--store', 'embedded:x', 'audit', '--input', 'ZD-1'], 'audit'],
    [['--store', 'subjects', 'baseline', 'k8s:a/b/c'], 'baseline'],
    [['help', 'inventory'], 'inventory'],
    [['--help'], undefined],
    [['nosuch'], undefined],
    [['agent', 'watch', '--', 'version'], 'agent'],
  ];
  it.each(cases)('%j -> %s', (args, name) => {
    expect(invokedCommand(args)?.name).toBe(name);
  });
});

describe('COMMANDS', () => {
  it('every entry registers exactly its own command', { timeout: 120_000 }, async () => {
    for (const entry of COMMANDS) {
      const program = new Command();
      (await entry.load()).register(program);
      expect(program.commands.map((c) => c.name())).toContain(entry.name);
    }
    expect(new Set(COMMANDS.map((c) => c.name)).size).toBe(COMMANDS.length);
  });
});

describe('parseAuditId', () => {
  it.each([
    ['ZD-49173', { input: 'ZD-49173' }],
    ['audit:ZD-49173', { input: 'ZD-49173' }],
    [' audit:sess-1 ', { input: 'sess-1' }],
    ['audit-rollout:r-2026-01-01-ab/Enforce(retrieval)', { input: 'r-2026-01-01-ab', rolloutId: 'r-2026-01-01-ab' }],
    ['audit:', { input: 'audit:' }],
  ])('%s', (id, expected) => {
    expect(parseAuditId(id)).toEqual(expected);
  });
});
