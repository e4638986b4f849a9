/**
 * The CLI's error contract: every failure leaves as one line (`warden: <message>`, or with `--json` one JSON object
 * `{"error":{"kind","exitCode","message"}}` on stderr) and one exit code:
 *
 *   0 ok · 1 internal (a bug in Warden) · 2 usage (bad flag, argument or store spec) ·
 *   3 input or not found (unreadable or invalid file, unknown subject or id) ·
 *   4 environment (AWS credentials or permissions, unreachable endpoint, missing tool or privilege) ·
 *   5 check failed (the command ran and its verdict is negative: audit chain altered, rollout stopped).
 *
 * Commands throw {@link CliError} for what they know; {@link classifyError} names everything else (SDK credential
 * and endpoint errors, file system errors) so no command needs its own mapping.
 */

export const EXIT_CODES = { internal: 1, usage: 2, input: 3, environment: 4, check: 5 } as const;
export type ErrorKind = keyof typeof EXIT_CODES;

const KIND_BY_CODE = new Map<number, ErrorKind>(
  Object.entries(EXIT_CODES).map(([k, v]) => [v, k as ErrorKind] as const),
);

/** An expected CLI failure: printed as one line `warden: <message>` with a non-zero exit code (default: usage). */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = EXIT_CODES.usage,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'CliError';
  }
}

/** A bad flag, argument or option value (exit 2). */
export const usageError = (message: string, cause?: unknown) => new CliError(message, EXIT_CODES.usage, { cause });
/** Unreadable or invalid input, or an id/subject that is not in the store (exit 3). */
export const inputError = (message: string, cause?: unknown) => new CliError(message, EXIT_CODES.input, { cause });
/** Credentials, permissions, endpoints, privileges or tools missing (exit 4). */
export const environmentError = (message: string, cause?: unknown) =>
  new CliError(message, EXIT_CODES.environment, { cause });
/** The command ran and its verdict is negative (exit 5). */
export const checkFailed = (message: string, cause?: unknown) => new CliError(message, EXIT_CODES.check, { cause });

export interface ClassifiedError {
  kind: ErrorKind;
  exitCode: number;
  message: string;
}

interface ErrorLike {
  name?: string;
  code?: string;
  message?: string;
  path?: string;
  syscall?: string;
  address?: string;
  port?: number;
  hostname?: string;
  exitCode?: number;
  cause?: unknown;
  $metadata?: { httpStatusCode?: number };
}

const CREDENTIAL_MISSING = new Set(['CredentialsProviderError', 'TokenProviderError']);
const CREDENTIAL_REJECTED = new Set([
  'ExpiredToken',
  'ExpiredTokenException',
  'InvalidClientTokenId',
  'UnrecognizedClientException',
  'InvalidSignatureException',
  'SignatureDoesNotMatch',
  'InvalidAccessKeyId',
  'IncompleteSignature',
  'MissingAuthenticationToken',
]);
const PERMISSION = new Set(['AccessDenied', 'AccessDeniedException', 'UnauthorizedOperation', 'Forbidden']);
const UNREACHABLE = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EPIPE',
]);
const FS_CODES: Record<string, string> = {
  ENOENT: 'no such file or directory',
  ENOTDIR: 'a parent is not a directory',
  EISDIR: 'is a directory',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'read-only file system',
  ENOSPC: 'no space left on the device',
};
const NOT_FOUND = new Set(['ResourceNotFoundException', 'NoSuchBucket', 'NoSuchKey', 'NotFound']);

/**
 * The expected failures of the layers below the CLI, by error class name (names, not classes: importing every module
 * here would load them all for every command): a bad store spec is usage, unreadable or missing input is input, a
 * missing loader or privilege is environment. Commands need not catch and re-throw them.
 */
const KIND_BY_ERROR_NAME: Readonly<Record<string, ErrorKind>> = {
  StoreSpecError: 'usage',
  InvalidArgumentError: 'usage',
  InputError: 'input',
  IdentityFileError: 'input',
  NoBaselineError: 'input',
  DeclaredScopeMissingError: 'input',
  WatchError: 'environment',
  // The installed warden is older than the store it opens, or another process holds the store.
  StoreSchemaError: 'environment',
  StoreBusyError: 'environment',
};

/** The first error in the `cause` chain (at most 8 deep) that satisfies `test`. */
function findInChain(err: unknown, test: (e: ErrorLike) => boolean): ErrorLike | undefined {
  let e: unknown = err;
  for (let i = 0; i < 8 && e && typeof e === 'object'; i++) {
    if (test(e as ErrorLike)) return e as ErrorLike;
    e = (e as ErrorLike).cause;
  }
  return undefined;
}

const firstLine = (text: string | undefined) => (text ?? '').split('\n')[0]?.trim() ?? '';

/** Names any thrown value for the user: kind, exit code and a one-line message. */
export function classifyError(err: unknown): ClassifiedError {
  const out = (kind: ErrorKind, message: string): ClassifiedError => ({
    kind,
    exitCode: EXIT_CODES[kind],
    message: firstLine(message),
  });
  if (err instanceof CliError)
    return {
      kind: KIND_BY_CODE.get(err.exitCode) ?? 'internal',
      exitCode: err.exitCode,
      message: firstLine(err.message),
    };
  const e = (err && typeof err === 'object' ? err : { message: String(err) }) as ErrorLike;
  if (e.name === 'CommanderError' || e.code?.startsWith('commander.'))
    return out('usage', (e.message ?? '').replace(/^error:\s*/, ''));
  const named = KIND_BY_ERROR_NAME[e.name ?? ''];
  if (named) return out(named, e.message ?? '');

  const missing = findInChain(err, (x) => CREDENTIAL_MISSING.has(x.name ?? ''));
  if (missing)
    return out(
      'environment',
      `AWS credentials not found (${firstLine(missing.message)}): set AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, or point the command at a local endpoint`,
    );
  const rejected = findInChain(
    err,
    (x) => CREDENTIAL_REJECTED.has(x.name ?? '') || CREDENTIAL_REJECTED.has(x.code ?? ''),
  );
  if (rejected)
    return out('environment', `AWS credentials rejected (${rejected.name}): ${firstLine(rejected.message)}`);
  const denied = findInChain(err, (x) => PERMISSION.has(x.name ?? '') || PERMISSION.has(x.code ?? ''));
  if (denied) return out('environment', `AWS permission denied (${denied.name}): ${firstLine(denied.message)}`);
  const net = findInChain(
    err,
    (x) => UNREACHABLE.has(x.code ?? '') || x.name === 'TimeoutError' || x.name === 'EndpointError',
  );
  if (net) {
    const where = net.address ? `${net.address}${net.port ? `:${net.port}` : ''}` : (net.hostname ?? '');
    return out(
      'environment',
      `cannot reach the endpoint${where ? ` ${where}` : ''} (${net.code ?? net.name}): is the service running and the URL right?`,
    );
  }
  const notFound = findInChain(err, (x) => NOT_FOUND.has(x.name ?? ''));
  if (notFound) return out('input', `not found: ${firstLine(notFound.message)}`);
  const fsErr = findInChain(
    err,
    (x) => x.path !== undefined && x.code !== undefined && Object.hasOwn(FS_CODES, x.code),
  );
  if (fsErr) return out('input', `${fsErr.path}: ${FS_CODES[fsErr.code as string]}`);
  if (e.name === 'ZodError') return out('input', `invalid input: ${firstLine(e.message)}`);
  return out('internal', `internal error: ${firstLine(e.message) || String(err)} (WARDEN_DEBUG=1 prints the stack)`);
}

/** The line (or JSON object) printed on stderr for a classified error. */
export function formatError(c: ClassifiedError, json: boolean): string {
  return json ? JSON.stringify({ error: c }) : `warden: ${c.message}`;
}
