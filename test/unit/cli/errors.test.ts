/** The CLI's error contract: every failure named and given its documented exit code. */
import { describe, expect, it } from 'vitest';
import { CliError, classifyError, EXIT_CODES, formatError, inputError } from '../../../lib/cli/errors.ts';

function named(name: string, message: string, extra: Record<string, unknown> = {}): Error {
  return Object.assign(new Error(message), { name, ...extra });
}

describe('classifyError', () => {
  const cases: [string, unknown, keyof typeof EXIT_CODES, RegExp][] = [
    ['a CliError keeps its code', new CliError('bad flag'), 'usage', /^bad flag$/],
    ['not found', inputError('unknown subject: x'), 'input', /unknown subject/],
    [
      'commander usage',
      named('CommanderError', "error: unknown option '--x'", { code: 'commander.unknownOption' }),
      'usage',
      /^unknown option/,
    ],
    ['store spec', named('StoreSpecError', 'invalid store spec "x"'), 'usage', /invalid store spec/],
    ['unreadable input', named('InputError', 'x.json: not a file'), 'input', /^x\.json: not a file$/],
    ['identity file', named('IdentityFileError', 'ids.json: bad'), 'input', /^ids\.json: bad$/],
    ['no baseline', named('NoBaselineError', 'no baseline for k8s:a/b/c'), 'input', /^no baseline/],
    ['no declared scope', named('DeclaredScopeMissingError', 'no declared scope'), 'input', /^no declared scope$/],
    ['loader missing', named('WatchError', 'warden-loader not built'), 'environment', /^warden-loader not built$/],
    [
      'store of a newer warden',
      named('StoreSchemaError', 'store embedded:x was written by a newer warden (schema 4; this one reads up to 3)'),
      'environment',
      /^store embedded:x was written by a newer warden/,
    ],
    ['store busy', named('StoreBusyError', 'store embedded:x is busy'), 'environment', /^store embedded:x is busy$/],
    [
      'no credentials',
      named('CredentialsProviderError', 'Could not load credentials from any providers'),
      'environment',
      /^AWS credentials not found \(Could not load credentials from any providers\)/,
    ],
    [
      'expired token',
      named('ExpiredTokenException', 'The security token included in the request is expired'),
      'environment',
      /^AWS credentials rejected/,
    ],
    ['access denied', named('AccessDeniedException', 'not authorized'), 'environment', /^AWS permission denied/],
    [
      'endpoint refused (wrapped)',
      named('Error', 'request failed', {
        cause: Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:4566'), {
          code: 'ECONNREFUSED',
          address: '127.0.0.1',
          port: 4566,
        }),
      }),
      'environment',
      /^cannot reach the endpoint 127\.0\.0\.1:4566 \(ECONNREFUSED\)/,
    ],
    [
      'unknown host',
      Object.assign(new Error('getaddrinfo ENOTFOUND nope'), { code: 'ENOTFOUND', hostname: 'nope' }),
      'environment',
      /endpoint nope/,
    ],
    [
      'file missing',
      Object.assign(new Error('ENOENT'), { code: 'ENOENT', path: '/x/y.svg' }),
      'input',
      /^\/x\/y\.svg: no such file or directory$/,
    ],
    ['table missing', named('ResourceNotFoundException', 'Requested resource not found'), 'input', /^not found/],
    [
      'a bug',
      new TypeError("Cannot read properties of undefined (reading 'x')\n    at f"),
      'internal',
      /^internal error: Cannot read.*WARDEN_DEBUG/,
    ],
    ['a thrown string', 'boom', 'internal', /^internal error: boom/],
  ];
  it.each(cases)('%s', (_, err, kind, message) => {
    const c = classifyError(err);
    expect(c.kind).toBe(kind);
    expect(c.exitCode).toBe(EXIT_CODES[kind]);
    expect(c.message).toMatch(message);
    expect(c.message).not.toContain('\n');
  });

  it('prints one line, or one JSON object under --json', () => {
    const c = classifyError(inputError('no such input'));
    expect(formatError(c, false)).toBe('warden: no such input');
    expect(JSON.parse(formatError(c, true))).toEqual({
      error: { kind: 'input', exitCode: 3, message: 'no such input' },
    });
  });
});
