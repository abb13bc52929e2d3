import { CROCKFORD_ALPHABET, newCheckInCode, newTicketNumber, normaliseCode, normaliseTicketNumber } from '../../../domain/tickets/ticket-number';

describe('ticket numbers and check-in codes', () => {
  it('are drawn from Crockford\'s base 32, without the look-alikes I, L, O and U', () => {
    expect(CROCKFORD_ALPHABET).toHaveLength(32);
    expect(CROCKFORD_ALPHABET).not.toMatch(/[ILOU]/);
    for (let i = 0; i < 1000; i++) {
      expect(newTicketNumber()).toMatch(/^[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}$/);
      expect(newCheckInCode()).toMatch(/^[0-9A-HJKMNP-TV-Z]{16}$/);
    }
  });

  it('are random, not a sequence: ten thousand draws are all different and use every character in every place', () => {
    const numbers = [...Array(10_000)].map(newTicketNumber);
    expect(new Set(numbers).size).toBe(numbers.length);
    for (let place = 0; place < 9; place++) {
      if (place === 4) continue;
      expect(new Set(numbers.map((n) => n[place])).size).toBe(32);
    }
  });

  it('read what people type: case, spaces and dashes ignored, I and L as 1, O as 0', () => {
    expect(normaliseTicketNumber('k7m2 9qxr')).toBe('K7M2-9QXR');
    expect(normaliseTicketNumber('K7M2-9QXR')).toBe('K7M2-9QXR');
    expect(normaliseTicketNumber('io2l-oooo')).toBe('1021-0000');
    expect(normaliseCode('abcd-efgh-jkmn-pqrs', 16)).toBe('ABCDEFGHJKMNPQRS');
  });

  it('refuse what cannot be one: U, other characters, or the wrong length', () => {
    expect(normaliseTicketNumber('K7M2-9QXU')).toBeNull();
    expect(normaliseTicketNumber('K7M2-9QX!')).toBeNull();
    expect(normaliseTicketNumber('K7M2-9QX')).toBeNull();
    expect(normaliseCode('ABC', 16)).toBeNull();
  });
});
