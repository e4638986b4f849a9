/**
 * Checks an OCSF event against a schema subset (vendor/ocsf-schema-<version>/subset.json): the declared version, the
 * class, category and type ids agreeing, captions matching their ids, every required attribute and `at_least_one`
 * constraint of the class and of each object met, value types, and no attribute the schema does not define (outside
 * `unmapped`). Pure: the schema is passed in, so tests and tools load it where they can read files.
 */

/** `s` string, `i` integer, `n` number, `b` boolean, `j` any JSON, `o` any object, else an object name; `[]` = array. */
export type OcsfType = string;

interface Shape {
  required?: string[];
  at_least_one?: string[];
  attributes: Record<string, OcsfType>;
  enums?: Record<string, Record<string, string>>;
}

export interface OcsfSchemaSubset {
  version: string;
  base: Shape & {
    profiles: Record<string, Shape>;
    severity_id: Record<string, string>;
    status_id: Record<string, string>;
  };
  categories: Record<string, string>;
  classes: Record<
    string,
    Shape & {
      name: string;
      caption: string;
      category_uid: number;
      activities: Record<string, string>;
      status_id?: Record<string, string>;
    }
  >;
  objects: Record<string, Shape>;
}

/** One violation: where (a dotted path) and what. */
export interface OcsfProblem {
  path: string;
  problem: string;
}

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const present = (v: unknown) => v !== undefined && v !== null;

function checkPrimitive(type: string, v: unknown): boolean {
  switch (type) {
    case 's':
      return typeof v === 'string';
    case 'i':
      return Number.isSafeInteger(v);
    case 'n':
      return typeof v === 'number' && Number.isFinite(v);
    case 'b':
      return typeof v === 'boolean';
    case 'j':
      return true;
    case 'o':
      return isObject(v);
    default:
      return false;
  }
}

/** `0`/`99` (Unknown/Other) are allowed for every enum; any other id must be listed, and its caption must match. */
function checkEnum(
  out: OcsfProblem[],
  path: string,
  obj: Json,
  idKey: string,
  captionKey: string,
  values: Record<string, string>,
): void {
  const id = obj[idKey];
  if (!present(id)) return;
  const caption = values[String(id)] ?? (id === 0 ? 'Unknown' : id === 99 ? 'Other' : undefined);
  if (caption === undefined) {
    out.push({ path: `${path}${idKey}`, problem: `${id} is not a defined value` });
    return;
  }
  const given = obj[captionKey];
  // For 99 (Other) the caption carries the source's own label, so any text is allowed there.
  if (present(given) && id !== 99 && given !== caption)
    out.push({
      path: `${path}${captionKey}`,
      problem: `${JSON.stringify(given)} does not match ${idKey} ${id} (${caption})`,
    });
}

function checkShape(schema: OcsfSchemaSubset, out: OcsfProblem[], path: string, value: Json, shape: Shape): void {
  for (const r of shape.required ?? [])
    if (!present(value[r])) out.push({ path: `${path}${r}`, problem: 'required attribute missing' });
  if (shape.at_least_one && !shape.at_least_one.some((k) => present(value[k])))
    out.push({ path: path || '.', problem: `needs at least one of ${shape.at_least_one.join(', ')}` });
  for (const [k, v] of Object.entries(value)) {
    if (!present(v)) continue;
    const type = shape.attributes[k];
    if (type === undefined) {
      out.push({ path: `${path}${k}`, problem: `not an attribute of this class or object in OCSF ${schema.version}` });
      continue;
    }
    checkValue(schema, out, `${path}${k}`, v, type);
  }
  for (const [k, values] of Object.entries(shape.enums ?? {}))
    checkEnum(out, path, value, k, k.replace(/_id$/, ''), values);
}

function checkValue(schema: OcsfSchemaSubset, out: OcsfProblem[], path: string, v: unknown, type: string): void {
  if (type.endsWith('[]')) {
    if (!Array.isArray(v)) {
      out.push({ path, problem: 'expected an array' });
      return;
    }
    for (const [i, item] of v.entries()) checkValue(schema, out, `${path}[${i}]`, item, type.slice(0, -2));
    return;
  }
  const obj = schema.objects[type];
  if (!obj) {
    if (!checkPrimitive(type, v)) out.push({ path, problem: `expected ${type}, got ${JSON.stringify(v)}` });
    return;
  }
  if (!isObject(v)) {
    out.push({ path, problem: `expected a ${type} object` });
    return;
  }
  checkShape(schema, out, `${path}.`, v, obj);
}

/** Every way `event` departs from the schema subset (empty: valid). */
export function validateOcsfEvent(schema: OcsfSchemaSubset, event: unknown): OcsfProblem[] {
  const out: OcsfProblem[] = [];
  if (!isObject(event)) return [{ path: '.', problem: 'not an object' }];
  const cls = schema.classes[String(event.class_uid)];
  if (!cls) return [{ path: 'class_uid', problem: `${event.class_uid} is not a class this schema subset defines` }];
  const meta = isObject(event.metadata) ? event.metadata : {};
  if (meta.version !== schema.version)
    out.push({ path: 'metadata.version', problem: `${JSON.stringify(meta.version)} is not ${schema.version}` });
  const profiles = Array.isArray(meta.profiles) ? (meta.profiles as string[]) : [];
  const shape: Shape = {
    required: [...(schema.base.required ?? []), ...(cls.required ?? [])],
    ...(cls.at_least_one ? { at_least_one: cls.at_least_one } : {}),
    attributes: { ...schema.base.attributes, ...cls.attributes },
  };
  for (const p of profiles) {
    const prof = schema.base.profiles[p];
    if (!prof) {
      out.push({ path: 'metadata.profiles', problem: `profile ${p} is not in this schema subset` });
      continue;
    }
    shape.required!.push(...(prof.required ?? []));
    Object.assign(shape.attributes, prof.attributes);
  }
  checkShape(schema, out, '', event, shape);
  if (event.category_uid !== cls.category_uid)
    out.push({ path: 'category_uid', problem: `${event.category_uid} is not ${cls.category_uid} of ${cls.caption}` });
  const category = schema.categories[String(cls.category_uid)];
  if (present(event.category_name) && event.category_name !== category)
    out.push({ path: 'category_name', problem: `${JSON.stringify(event.category_name)} is not ${category}` });
  if (present(event.class_name) && event.class_name !== cls.caption)
    out.push({ path: 'class_name', problem: `${JSON.stringify(event.class_name)} is not ${cls.caption}` });
  checkEnum(out, '', event, 'activity_id', 'activity_name', cls.activities);
  checkEnum(out, '', event, 'severity_id', 'severity', schema.base.severity_id);
  checkEnum(out, '', event, 'status_id', 'status', cls.status_id ?? schema.base.status_id);
  if (typeof event.activity_id === 'number') {
    const typeUid = Number(event.class_uid) * 100 + event.activity_id;
    if (event.type_uid !== typeUid) out.push({ path: 'type_uid', problem: `${event.type_uid} is not ${typeUid}` });
    const activity = cls.activities[String(event.activity_id)] ?? (event.activity_id === 0 ? 'Unknown' : 'Other');
    const typeName = `${cls.caption}: ${event.activity_id === 99 ? event.activity_name : activity}`;
    if (present(event.type_name) && event.type_name !== typeName)
      out.push({ path: 'type_name', problem: `${JSON.stringify(event.type_name)} is not ${typeName}` });
  }
  return out;
}
