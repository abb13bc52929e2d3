/**
 * Client activation tokens: 'G' and four digits, so only 10,000 exist. Generation tries a few random
 * picks, then scans from a random offset, so it always ends: with a free token, or with a clear error.
 */
export const TOKEN_SPACE = 10_000;
// Enough that a space up to about 80% full almost always ends on a random pick (0.8^20 ≈ 1%), few
// enough that a nearly full one reaches the scan quickly.
const RANDOM_TRIES = 20;
const TOKEN = /^G\d{4}$/;

export class TokenSpaceExhaustedError extends Error {
  constructor(readonly taken: number) {
    super(`no activation token is free: ${taken.toLocaleString('en-US')} of ${TOKEN_SPACE.toLocaleString('en-US')} (G0000-G9999) are taken; retire unused tokens or widen the format`);
    this.name = 'TokenSpaceExhaustedError';
  }
}

export function isActivationToken(value: string): boolean {
  return TOKEN.test(value);
}

function tokenAt(index: number): string {
  return `G${String(index).padStart(4, '0')}`;
}

/** A position in the space from a draw in [0, 1); a draw of exactly 1 (some generators allow it) stays inside. */
function randomIndex(random: () => number): number {
  return Math.min(Math.floor(random() * TOKEN_SPACE), TOKEN_SPACE - 1);
}

/**
 * A token nobody holds. `takenCount` only short-cuts the full space; `isTaken` is the authority, so a stale
 * count costs at most one scan of the space.
 */
export function generateActivationToken(isTaken: (token: string) => boolean, takenCount: number, random: () => number): string {
  if (takenCount >= TOKEN_SPACE) throw new TokenSpaceExhaustedError(takenCount);
  for (let i = 0; i < RANDOM_TRIES; i++) {
    const candidate = tokenAt(randomIndex(random));
    if (!isTaken(candidate)) return candidate;
  }
  const start = randomIndex(random);
  for (let i = 0; i < TOKEN_SPACE; i++) {
    const candidate = tokenAt((start + i) % TOKEN_SPACE);
    if (!isTaken(candidate)) return candidate;
  }
  throw new TokenSpaceExhaustedError(TOKEN_SPACE);
}
