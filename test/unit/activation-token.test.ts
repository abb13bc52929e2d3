import { TOKEN_SPACE, TokenSpaceExhaustedError, generateActivationToken, isActivationToken } from '../../domain/activation-token';

/** mulberry32: a small seeded generator, so runs repeat exactly. */
function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

const ALL_TOKENS = Array.from({ length: TOKEN_SPACE }, (_, i) => `G${String(i).padStart(4, '0')}`);

describe('isActivationToken', () => {
  it.each(['G0000', 'G0042', 'G9999'])('accepts %s', (token) => {
    expect(isActivationToken(token)).toBe(true);
  });

  it.each(['', 'G', 'G123', 'G12345', 'g1234', 'H1234', 'G12a4', ' G1234', 'G1234\n', 'G１２３４'])('rejects %p', (token) => {
    expect(isActivationToken(token)).toBe(false);
  });
});

describe('generateActivationToken', () => {
  it('makes well-formed tokens across the whole space, edges included', () => {
    const free = () => false;
    expect(generateActivationToken(free, 0, () => 0)).toBe('G0000');
    expect(generateActivationToken(free, 0, () => 0.99999999)).toBe('G9999');
    expect(generateActivationToken(free, 0, () => 1)).toBe('G9999');
    expect(generateActivationToken(free, 0, () => 0.1234)).toBe('G1234');
  });

  it('never hands out a taken token, over many draws until the space is full', () => {
    const taken = new Set<string>();
    const random = seeded(7);
    for (let i = 0; i < TOKEN_SPACE; i++) {
      const token = generateActivationToken((t) => taken.has(t), taken.size, random);
      expect(isActivationToken(token)).toBe(true);
      expect(taken.has(token)).toBe(false);
      taken.add(token);
    }
    expect(taken.size).toBe(TOKEN_SPACE);
    expect(() => generateActivationToken((t) => taken.has(t), taken.size, random)).toThrow(TokenSpaceExhaustedError);
  });

  it('is deterministic for a seeded generator', () => {
    const draw = (seed: number) => {
      const random = seeded(seed);
      const taken = new Set<string>();
      for (let i = 0; i < 50; i++) taken.add(generateActivationToken((t) => taken.has(t), taken.size, random));
      return [...taken];
    };
    expect(draw(42)).toEqual(draw(42));
    expect(draw(42)).not.toEqual(draw(43));
  });

  it('fails fast with a message saying how many are taken when the count says the space is full', () => {
    const isTaken = jest.fn(() => true);
    const generate = () => generateActivationToken(isTaken, TOKEN_SPACE, Math.random);
    expect(generate).toThrow(TokenSpaceExhaustedError);
    expect(generate).toThrow('10,000 of 10,000 (G0000-G9999) are taken');
    expect(isTaken).not.toHaveBeenCalled();
  });

  it('ends with the error after one bounded scan when a stale count hides a full space', () => {
    const isTaken = jest.fn(() => true);
    let error: unknown;
    try {
      generateActivationToken(isTaken, 9_000, seeded(1));
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(TokenSpaceExhaustedError);
    expect((error as TokenSpaceExhaustedError).name).toBe('TokenSpaceExhaustedError');
    expect((error as TokenSpaceExhaustedError).taken).toBe(TOKEN_SPACE);
    expect(isTaken.mock.calls.length).toBeLessThanOrEqual(20 + TOKEN_SPACE);
  });

  it.each([0, 1, 4_999, 9_998, 9_999])('finds the one free token when 9,999 are taken (free: index %i) in bounded time', (freeIndex) => {
    const free = ALL_TOKENS[freeIndex];
    const isTaken = jest.fn((token: string) => token !== free);
    expect(generateActivationToken(isTaken, TOKEN_SPACE - 1, seeded(freeIndex))).toBe(free);
    expect(isTaken.mock.calls.length).toBeLessThanOrEqual(20 + TOKEN_SPACE);
  });

  it('scans from a random offset, wrapping around the end of the space', () => {
    // All random picks land on taken tokens; the scan starts at G9998 and wraps to the free G0003.
    const free = new Set(['G0003', 'G5000']);
    const picks = [...Array(20).fill(0.9998), 0.9998];
    const random = () => picks.shift() ?? 0;
    const seen: string[] = [];
    const token = generateActivationToken((t) => { seen.push(t); return !free.has(t); }, 9_998, random);
    expect(token).toBe('G0003');
    expect(seen.slice(20)).toEqual(['G9998', 'G9999', 'G0000', 'G0001', 'G0002', 'G0003']);
  });

  it('takes the first free random pick without scanning', () => {
    const picks = [0.1, 0.2, 0.3];
    const isTaken = jest.fn((t: string) => t !== 'G3000');
    expect(generateActivationToken(isTaken, 2, () => picks.shift()!)).toBe('G3000');
    expect(isTaken).toHaveBeenCalledTimes(3);
  });
});
