/**
 * Sinks: tool arguments through which data or money leaves, or the world changes. How much an argument's value
 * provenance matters is its sensitivity, learned from the tool's name and the parameter's name (English verbs and
 * nouns of tool schemas: `send_message(to)`, `transfer_funds(iban)`, `post_webpage(url)`) and from the shape of the
 * value, and set by the user (`sinks` / `notSinks` patterns, `tool:<group>/<fn>` or `tool:<group>/<fn>#<param>`, `*`
 * as a wildcard):
 *
 * | tool verb \ parameter | destination (to, recipient, url, account ...) | other |
 * |-----------------------|-----------------------------------------------|-------|
 * | outbound (send, post, transfer, pay, share, upload, invite ...) | 1.0 | 0.6 |
 * | changing (update, create, delete, book, write, set ...)         | 0.8 | 0.4 |
 * | reading or unknown                                               | 0.6 | 0.2 |
 *
 * An address-shaped value (e-mail, URL, host, IBAN) is a destination whatever the parameter is called (a link in a
 * message body goes where it points), and so is a credential parameter (password, token, key: setting one from content
 * hands the account over). Times the value's shape: an address 1.0, a long number 0.8, a path 0.7, an identifier or a
 * short text 0.5 (a credential parameter 1.0).
 */

export interface SinkMarks {
  /** Patterns the user marked as sinks (sensitivity 1). */
  sinks?: readonly string[];
  /** Patterns the user marked as not sinks (sensitivity 0). */
  notSinks?: readonly string[];
}

const OUTBOUND = new Set(
  'send sends email emails mail message messages msg post posts publish share transfer transfers pay payment payments wire upload uploads export invite forward reply respond notify notification sms tweet dm webhook http https request fetch push sync submit broadcast deliver dispatch call'.split(
    ' ',
  ),
);
const CHANGING = new Set(
  'update modify change set create add delete remove cancel book reserve schedule write put append move rename grant revoke insert edit patch replace exchange return refund approve enable disable reset resume suspend assign'.split(
    ' ',
  ),
);
const DESTINATION = new Set(
  'to recipient recipients email emails address addr url uri link links href host hostname domain endpoint iban account accounts destination dest target channel bucket webhook phone cc bcc participant participants attendee attendees username member receiver payee beneficiary path'.split(
    ' ',
  ),
);

/** Lower-case words of an identifier: `sendMessage`, `send_message`, `send-message` -> send, message. */
export function identifierWords(id: string): string[] {
  return id
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter(Boolean);
}

function matches(pattern: string, slot: string, tool: string): boolean {
  const re = new RegExp(`^${pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`);
  return pattern.includes('#') ? re.test(slot) : re.test(tool);
}

const CREDENTIAL = new Set(
  'password passwd passcode pin secret token apikey key credential credentials otp'.split(' '),
);

/** A parameter named like a credential (`new_password`, `api_key`, `token`). */
export function isCredentialParam(param: string): boolean {
  return identifierWords(param).some((w) => CREDENTIAL.has(w));
}

/**
 * Sensitivity of a tool's verb class and a parameter, before the value's shape (table above); `address`: the value
 * is address-shaped (then the parameter counts as a destination).
 */
export function slotSensitivity(tool: string, param: string, marks: SinkMarks = {}, address = false): number {
  const slot = `${tool}#${param}`;
  if (marks.notSinks?.some((p) => matches(p, slot, tool))) return 0;
  if (marks.sinks?.some((p) => matches(p, slot, tool))) return 1;
  const fn = tool.slice(tool.lastIndexOf('/') + 1);
  const verbs = identifierWords(fn);
  const dest = address || isCredentialParam(param) || identifierWords(param).some((w) => DESTINATION.has(w));
  if (verbs.some((w) => OUTBOUND.has(w))) return dest ? 1 : 0.6;
  if (verbs.some((w) => CHANGING.has(w))) return dest ? 0.8 : 0.4;
  return dest ? 0.6 : 0.2;
}

/** Weight of one value in one argument: sensitivity times shape (see the module comment). */
export function argumentWeight(tool: string, param: string, token: string, marks: SinkMarks = {}): number {
  const shape = isCredentialParam(param) ? 1 : shapeWeight(token);
  return slotSensitivity(tool, param, marks, isAddress(token)) * shape;
}

const SHAPE: Record<string, number> = { em: 1, url: 1, host: 1, iban: 1, num: 0.8, path: 0.7, id: 0.5, val: 0.5 };

/** Weight of a value's shape (its token kind). */
export function shapeWeight(token: string): number {
  return SHAPE[token.slice(0, token.indexOf(':'))] ?? 0.3;
}

/** True for a value shaped like an address (where data or money can be sent). */
export function isAddress(token: string): boolean {
  return shapeWeight(token) >= 1;
}

/** True for a tool whose name says it sends something out. */
export function isOutbound(tool: string): boolean {
  return identifierWords(tool.slice(tool.lastIndexOf('/') + 1)).some((w) => OUTBOUND.has(w));
}
