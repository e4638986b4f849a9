/** Bedrock model identifiers as invoked -> base model, provider and inference profile. */

export interface ParsedModel {
  modelId: string;
  provider: string;
  inferenceProfile?: string;
}

const PROFILE_PREFIX = /^(us|eu|apac|us-gov|ca|jp|au|global)\.(.+)$/;

/** `us.anthropic.claude...`, `arn:aws:bedrock:...:inference-profile/us.anthropic...`, foundation-model ARNs, plain ids. */
export function parseModelId(invoked: string): ParsedModel {
  let id = invoked;
  let profile: string | undefined;
  const arn =
    /^arn:aws[^:]*:bedrock:[^:]*:[^:]*:(foundation-model|inference-profile|application-inference-profile|provisioned-model|custom-model)\/(.+)$/.exec(
      invoked,
    );
  if (arn) {
    if (arn[1] === 'foundation-model') id = arn[2]!;
    else {
      profile = invoked;
      id = arn[2]!;
    }
  }
  const p = PROFILE_PREFIX.exec(id);
  if (p) {
    profile ??= id;
    id = p[2]!;
  }
  const provider = id.includes('.') ? id.slice(0, id.indexOf('.')) : 'unknown';
  return profile ? { modelId: id, provider, inferenceProfile: profile } : { modelId: id, provider };
}
