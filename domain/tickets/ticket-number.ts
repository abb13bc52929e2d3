import { randomInt } from 'node:crypto';

/**
 * Ticket numbers and check-in codes people read, type and say: Crockford's base 32 alphabet
 * (https://www.crockford.com/base32.html) — digits and capitals without I, L, O and U, so nothing
 * looks like something else — drawn at random (not in sequence: the next ticket's number cannot be
 * guessed from this one). A number is 8 characters shown as XXXX-XXXX (40 bits: with a million tickets
 * sold a fresh draw collides with about one chance in a million; the unique constraint catches it and
 * the caller draws again). A check-in code is 16 characters (80 bits): a secret for the door scanner.
 */
export const CROCKFORD_ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

function draw(length: number): string {
  let out = '';
  for (let i = 0; i < length; i++) out += CROCKFORD_ALPHABET[randomInt(CROCKFORD_ALPHABET.length)];
  return out;
}

/** A fresh ticket number, `XXXX-XXXX`. */
export function newTicketNumber(): string {
  const raw = draw(8);
  return `${raw.slice(0, 4)}-${raw.slice(4)}`;
}

/** A fresh check-in code: 16 characters of the same alphabet, no separator. */
export function newCheckInCode(): string {
  return draw(16);
}

/**
 * What a person typed, read as Crockford decoding does: case, spaces and dashes ignored, I and L read
 * as 1, O as 0. Null when a character is outside the alphabet (U included) or the length is not `length`.
 */
export function normaliseCode(typed: string, length: number): string | null {
  const cleaned = typed.toUpperCase().replace(/[\s-]/g, '').replace(/[IL]/g, '1').replace(/O/g, '0');
  if (cleaned.length !== length || [...cleaned].some((c) => !CROCKFORD_ALPHABET.includes(c))) return null;
  return cleaned;
}

/** A typed ticket number in its stored form `XXXX-XXXX`, or null when it cannot be one. */
export function normaliseTicketNumber(typed: string): string | null {
  const cleaned = normaliseCode(typed, 8);
  return cleaned && `${cleaned.slice(0, 4)}-${cleaned.slice(4)}`;
}
