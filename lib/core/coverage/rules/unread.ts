import type { CoverageCheck, CoverageInput, CoverageInputName } from '../types.ts';

/** An `unknown` check when the reader for `name` failed: no claim either way about what it could not see. */
export function unknownIfUnread(
  input: CoverageInput,
  name: CoverageInputName,
  check: string,
  target: string,
  hides: string,
): CoverageCheck | undefined {
  const errs = input.readErrors.filter((e) => e.input === name);
  if (errs.length === 0) return undefined;
  return {
    check,
    target,
    status: 'unknown',
    detail: `could not read ${name}: ${errs.map((e) => e.detail).join('; ')}`,
    hides,
  };
}
