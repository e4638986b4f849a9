import type { Command } from 'commander';
import { emit } from '../output.ts';

export function register(program: Command): void {
  program
    .command('version')
    .description('print the Warden version')
    .action(function (this: Command) {
      emit(this, { name: 'warden', version: '0.1.0' }, () => 'warden 0.1.0');
    });
}
