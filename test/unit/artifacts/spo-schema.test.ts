/**
 * Validates the generated SeccompProfile resources against the structural schema of the Security Profiles
 * Operator CRD (security-profiles-operator.x-k8s.io/v1 SeccompProfile, api/seccompprofile/v1/seccompprofile_types.go:
 * cluster-scoped, errnoRet int32 0..4095, arg index 0..5), restated here
 * as JSON Schema: enums for actions and architectures, required `defaultAction`, and `names` + `action` required
 * on every syscalls entry; unknown spec fields are rejected, as the API server's structural pruning would drop them.
 */
import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { generateSeccomp } from '../../../lib/core/artifacts/seccomp.ts';
import { supportBaseline } from './fixtures.ts';

const ACTIONS = [
  'SCMP_ACT_KILL',
  'SCMP_ACT_KILL_PROCESS',
  'SCMP_ACT_KILL_THREAD',
  'SCMP_ACT_TRAP',
  'SCMP_ACT_ERRNO',
  'SCMP_ACT_TRACE',
  'SCMP_ACT_ALLOW',
  'SCMP_ACT_LOG',
  'SCMP_ACT_NOTIFY',
];
const ARCHES = [
  'SCMP_ARCH_NATIVE',
  'SCMP_ARCH_X86',
  'SCMP_ARCH_X86_64',
  'SCMP_ARCH_X32',
  'SCMP_ARCH_ARM',
  'SCMP_ARCH_AARCH64',
  'SCMP_ARCH_MIPS',
  'SCMP_ARCH_MIPS64',
  'SCMP_ARCH_MIPS64N32',
  'SCMP_ARCH_MIPSEL',
  'SCMP_ARCH_MIPSEL64',
  'SCMP_ARCH_MIPSEL64N32',
  'SCMP_ARCH_PPC',
  'SCMP_ARCH_PPC64',
  'SCMP_ARCH_PPC64LE',
  'SCMP_ARCH_S390',
  'SCMP_ARCH_S390X',
  'SCMP_ARCH_PARISC',
  'SCMP_ARCH_PARISC64',
  'SCMP_ARCH_RISCV64',
];

const schema = {
  type: 'object',
  required: ['apiVersion', 'kind', 'metadata', 'spec'],
  properties: {
    apiVersion: { const: 'security-profiles-operator.x-k8s.io/v1' },
    kind: { const: 'SeccompProfile' },
    // SPO >= 0.9: SeccompProfile is cluster-scoped.
    metadata: { type: 'object', required: ['name'], not: { required: ['namespace'] } },
    spec: {
      type: 'object',
      required: ['defaultAction'],
      additionalProperties: false,
      properties: {
        architectures: { type: 'array', items: { enum: ARCHES } },
        baseProfileName: { type: 'string' },
        defaultAction: { enum: ACTIONS },
        flags: { type: 'array', items: { type: 'string' } },
        listenerMetadata: { type: 'string' },
        listenerPath: { type: 'string' },
        syscalls: {
          type: 'array',
          items: {
            type: 'object',
            required: ['action', 'names'],
            additionalProperties: false,
            properties: {
              action: { enum: ACTIONS },
              args: {
                type: 'array',
                maxItems: 6,
                items: {
                  type: 'object',
                  required: ['index', 'op'],
                  additionalProperties: false,
                  properties: {
                    index: { type: 'integer', minimum: 0, maximum: 5 },
                    value: { type: 'integer', minimum: 0 },
                    valueTwo: { type: 'integer', minimum: 0 },
                    op: { type: 'string' },
                  },
                },
              },
              // v1 types errnoRet as int32 0..4095 (v1beta1 had a string).
              errnoRet: { type: 'integer', minimum: 0, maximum: 4095 },
              names: { type: 'array', minItems: 1, items: { type: 'string' } },
            },
          },
        },
      },
    },
  },
};

describe('SeccompProfile CRD schema', () => {
  const validate = new Ajv({ allErrors: true }).compile(schema);
  it.each(['monitor', 'enforce'])('the %s resource validates', (mode) => {
    const file = generateSeccomp(supportBaseline).files.find((f) => f.path.endsWith(`seccompprofile.${mode}.yaml`))!;
    const ok = validate(parse(file.content));
    expect(validate.errors ?? []).toEqual([]);
    expect(ok).toBe(true);
  });

  it('rejects an invalid action (the schema can fail)', () => {
    const file = generateSeccomp(supportBaseline).files.find((f) => f.path.endsWith('seccompprofile.enforce.yaml'))!;
    const doc = parse(file.content);
    doc.spec.syscalls[0].action = 'ALLOW';
    expect(validate(doc)).toBe(false);
  });
});
