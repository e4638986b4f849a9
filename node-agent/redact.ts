/**
 * argv redaction before anything leaves the node: command lines carry tokens, passwords and connection strings.
 * Values of secret-looking flags, `KEY=VALUE` pairs with secret-looking keys, credentials in URLs, AWS access keys and
 * long opaque tokens are replaced by `<redacted>`; program names and ordinary arguments stay, so behavior keys and
 * MCP detection still work.
 */
const SECRET_NAME = /(pass(word|wd)?|secret|token|api[-_]?key|access[-_]?key|auth|credential|private[-_]?key|session)/i;
const AWS_KEY = /\b(AKIA|ASIA)[A-Z0-9]{16}\b/;
const OPAQUE = /^[A-Za-z0-9+/_=.-]{32,}$/;
const URL_CREDS = /^([a-z][\w+.-]*:\/\/)[^/@\s:]+:[^/@\s]+@/i;

export const REDACTED = '<redacted>';

/** Redacts secrets in argv; `redacted` says whether anything was replaced. */
export function redactArgv(argv: readonly string[]): { argv: string[]; redacted: boolean } {
  let redacted = false;
  const out: string[] = [];
  let redactNext = false;
  argv.forEach((arg, i) => {
    if (redactNext) {
      out.push(REDACTED);
      redacted = true;
      redactNext = false;
      return;
    }
    const flag = /^(--?[\w.-]+)(=(.*))?$/.exec(arg);
    if (flag && SECRET_NAME.test(flag[1]!)) {
      if (flag[2] !== undefined) {
        out.push(`${flag[1]}=${REDACTED}`);
        redacted = true;
      } else {
        out.push(arg);
        redactNext = i + 1 < argv.length;
      }
      return;
    }
    const kv = /^([A-Za-z_][\w.-]*)=(.+)$/.exec(arg);
    if (kv && SECRET_NAME.test(kv[1]!)) {
      out.push(`${kv[1]}=${REDACTED}`);
      redacted = true;
      return;
    }
    if (URL_CREDS.test(arg)) {
      out.push(arg.replace(URL_CREDS, `$1${REDACTED}@`));
      redacted = true;
      return;
    }
    // The program (argv[0]) and paths are kept even when long; opaque blobs elsewhere are not.
    if (
      i > 0 &&
      (AWS_KEY.test(arg) || (OPAQUE.test(arg) && !arg.includes('/') && /\d/.test(arg) && /[A-Za-z]/.test(arg)))
    ) {
      out.push(REDACTED);
      redacted = true;
      return;
    }
    out.push(arg);
  });
  return { argv: out, redacted };
}
