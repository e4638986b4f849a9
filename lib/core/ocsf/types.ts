/** OCSF record shapes Warden emits (a subset of the schema's attributes, all with their OCSF names). */

export const OCSF_VERSION = '1.5.0' as const;

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
