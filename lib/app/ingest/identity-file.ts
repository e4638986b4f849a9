/**
 * Loads identity maps (lib/core/identity IdentityMaps) from a JSON file for `warden ingest --identity FILE`, so a
 * laptop run can attribute roles and pod IPs to Deployments without cluster access. Validated with zod: the file is
 * outside data.
 *
 * @example {"workloads":[{"cluster":"prod","namespace":"support","deployment":"support-agent","serviceAccount":"support-agent"}],
 *           "irsa":[{"roleArn":"arn:aws:iam::111122223333:role/support-agent-irsa","cluster":"prod","namespace":"support","serviceAccount":"support-agent"}]}
 */
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import type { IdentityMaps } from '../../core/identity/resolver.ts';

const sa = { cluster: z.string().min(1), namespace: z.string().min(1), serviceAccount: z.string().min(1) };

export const identityMapsSchema = z
  .object({
    workloads: z.array(z.object({ ...sa, deployment: z.string().min(1) })).optional(),
    irsa: z.array(z.object({ ...sa, roleArn: z.string().startsWith('arn:') })).optional(),
    podIdentity: z.array(z.object({ ...sa, roleArn: z.string().startsWith('arn:') })).optional(),
    bedrockAgents: z
      .array(
        z.object({
          agentId: z.string().min(1),
          region: z.string().min(1),
          roleArn: z.string().optional(),
          aliasIds: z.array(z.string()).optional(),
        }),
      )
      .optional(),
    pods: z
      .array(z.object({ cluster: z.string(), namespace: z.string(), pod: z.string(), deployment: z.string() }))
      .optional(),
    leases: z
      .array(
        z.object({
          ip: z.string().min(1),
          subject: z.string().optional(),
          cluster: z.string().optional(),
          namespace: z.string(),
          pod: z.string(),
          from: z.string().refine((s) => !Number.isNaN(Date.parse(s)), 'an ISO time'),
          to: z
            .string()
            .refine((s) => !Number.isNaN(Date.parse(s)), 'an ISO time')
            .nullish(),
        }),
      )
      .optional(),
    defaultRegion: z.string().optional(),
  })
  .strict();

export class IdentityFileError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'IdentityFileError';
  }
}

/** Parses identity maps from JSON text; throws IdentityFileError naming the first problem. */
export function parseIdentityMaps(text: string, name = 'identity file'): IdentityMaps {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new IdentityFileError(`${name}: not JSON (${(err as Error).message})`, { cause: err });
  }
  const r = identityMapsSchema.safeParse(value);
  if (!r.success) {
    const i = r.error.issues[0];
    throw new IdentityFileError(`${name}: ${i?.path.join('.') || '(root)'}: ${i?.message ?? 'invalid'}`);
  }
  return r.data;
}

export async function loadIdentityMaps(path: string): Promise<IdentityMaps> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new IdentityFileError(`cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`, {
      cause: err,
    });
  }
  return parseIdentityMaps(text, path);
}
