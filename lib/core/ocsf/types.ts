/** OCSF record shapes Warden emits (attributes with their OCSF names; vendor/ocsf-schema-1.7.0 lists them). */

/** The one OCSF release every event declares and is validated against (test/unit/ocsf/schema.test.ts). */
export const OCSF_VERSION = '1.7.0' as const;

export const PRODUCT = { name: 'Warden', vendor_name: 'Warden', version: '0.1.0' } as const;

export interface OcsfMetadata {
  version: typeof OCSF_VERSION;
  product: typeof PRODUCT;
  uid: string;
  correlation_uid?: string;
  logged_time?: number;
  profiles?: string[];
}

/** A record of any class: the base event attributes plus class-specific ones. */
export interface OcsfEvent {
  category_uid: number;
  category_name: string;
  class_uid: number;
  class_name: string;
  activity_id: number;
  activity_name: string;
  type_uid: number;
  type_name: string;
  severity_id: number;
  severity: string;
  status_id?: number;
  status?: string;
  time: number;
  message: string;
  metadata: OcsfMetadata;
  [k: string]: unknown;
}

/** `metadata` of an event Warden produced. */
export function metadata(uid: string, correlationUid?: string): OcsfMetadata {
  return {
    version: OCSF_VERSION,
    product: PRODUCT,
    uid,
    ...(correlationUid ? { correlation_uid: correlationUid } : {}),
  };
}

/** Class, activity and the derived `type_uid` / `type_name` (for Other, the activity name is the source's label). */
export function withType(
  cls: { category_uid: number; category_name: string; class_uid: number; class_name: string },
  [activity_id, activity_name]: [number, string],
  rest: Omit<OcsfEvent, keyof typeof cls | 'activity_id' | 'activity_name' | 'type_uid' | 'type_name'>,
): OcsfEvent {
  return {
    ...cls,
    activity_id,
    activity_name,
    type_uid: cls.class_uid * 100 + activity_id,
    type_name: `${cls.class_name}: ${activity_name}`,
    ...rest,
  } as OcsfEvent;
}
