import type { Command } from 'commander';
import pkg from '../../../package.json' with { type: 'json' };
import { emit } from '../output.ts';

export function register(program: Command): void {
  program
    .command('version')
    .description('print the Warden version and the Node.js it runs on')
    .action(function (this: Command) {
      emit(this, { name: 'warden', version: pkg.version, node: process.version }, () => `warden ${pkg.version}`);
    });
}
