/**
 * Which characters text may hold. One rule for every string the product accepts (API bodies, queries,
 * JSON metadata keys and values, CSV cells, workflow update arguments), because the same characters
 * break it everywhere:
 * - U+0000 (NUL): PostgreSQL stores it in neither text (SQLSTATE 08P01/22021) nor jsonb (22P05);
 * - unpaired UTF-16 surrogates (U+D800-U+DFFF alone): not Unicode scalar values, so they have no UTF-8
 *   encoding (RFC 3629 §3); Node would silently write U+FFFD in their place;
 * - the other C0 controls (U+0001-U+001F), DEL (U+007F) and the C1 controls (U+0080-U+009F): no meaning
 *   in text a person reads, and the usual sign of a mis-decoded file or an injection attempt.
 * Tab, line feed and carriage return are legitimate in multi-line text (a message, a description) and
 * nowhere else. Pure: no I/O, so workflows can use it too.
 */

export interface TextRule {
  /** Allow tab, line feed and carriage return (default false: single-line text). */
  multiline?: boolean;
}

/** The first character `value` may not hold, described for a person ("contains U+0000 …"), or undefined when it is clean. */
export function textFault(value: string, rule: TextRule = {}): string | undefined {
  for (let index = 0; index < value.length; index++) {
    const unit = value.charCodeAt(index);
    if (unit >= 0xd800 && unit <= 0xdbff) {
      const next = value.charCodeAt(index + 1);
      if (next >= 0xdc00 && next <= 0xdfff) { index++; continue; }
      return `contains an unpaired UTF-16 surrogate (${codePoint(unit)}) at character ${index + 1}`;
    }
    if (unit >= 0xdc00 && unit <= 0xdfff) return `contains an unpaired UTF-16 surrogate (${codePoint(unit)}) at character ${index + 1}`;
    if (isControl(unit) && !(rule.multiline && MULTILINE_WHITESPACE.has(unit))) {
      const allowed = rule.multiline ? 'only tab and line breaks are allowed' : 'this field is a single line of text';
      return `contains the control character ${codePoint(unit)} at character ${index + 1}; ${allowed}`;
    }
  }
  return undefined;
}

const MULTILINE_WHITESPACE = new Set([0x09, 0x0a, 0x0d]);

function isControl(unit: number): boolean {
  return unit <= 0x1f || (unit >= 0x7f && unit <= 0x9f);
}

function codePoint(unit: number): string {
  return `U+${unit.toString(16).toUpperCase().padStart(4, '0')}`;
}

/** A path into a JSON value, as zod and the problem details name it: keys and array indexes. */
export type JsonPath = (string | number)[];

/**
 * Every fault in the keys and string values of a JSON value, at any depth. Keys are single-line text;
 * string values may be multi-line. Used for free-form metadata, which has no schema of its own.
 */
export function jsonTextFaults(value: unknown, path: JsonPath = []): { path: JsonPath; message: string }[] {
  if (typeof value === 'string') {
    const fault = textFault(value, { multiline: true });
    return fault ? [{ path, message: fault }] : [];
  }
  if (Array.isArray(value)) return value.flatMap((item, index) => jsonTextFaults(item, [...path, index]));
  if (typeof value === 'object' && value !== null) {
    return Object.entries(value).flatMap(([key, item]) => {
      const keyFault = textFault(key);
      return [...(keyFault ? [{ path: [...path, key], message: `key ${keyFault}` }] : []), ...jsonTextFaults(item, [...path, key])];
    });
  }
  return [];
}
