import {
  MoneyError, chargeIncrement, currencyCode, currencyExponent, isCurrencyCode, toDecimalString, toMajorUnits, toMinorUnits,
} from '../../domain/money';

// Stripe's published lists (https://docs.stripe.com/currencies).
const ZERO_DECIMAL = ['BIF', 'CLP', 'DJF', 'GNF', 'JPY', 'KMF', 'KRW', 'MGA', 'PYG', 'RWF', 'UGX', 'VND', 'VUV', 'XAF', 'XOF', 'XPF'];
const THREE_DECIMAL = ['BHD', 'JOD', 'KWD', 'OMR', 'TND'];

describe('currency exponents follow Stripe', () => {
  it.each(ZERO_DECIMAL)('%s is zero-decimal', (code) => {
    expect(currencyExponent(code)).toBe(0);
    expect(currencyExponent(code.toLowerCase())).toBe(0);
  });

  it.each(THREE_DECIMAL)('%s is three-decimal', (code) => expect(currencyExponent(code)).toBe(3));

  it.each(['usd', 'eur', 'gbp', 'cad', 'chf', 'mxn', 'inr', 'huf', 'twd', 'isk'])('%s is two-decimal', (code) => {
    expect(currencyExponent(code)).toBe(2);
  });

  it('takes ISO 4217 digits for a currency Stripe does not list (IQD has three)', () => {
    expect(currencyExponent('iqd')).toBe(3);
  });

  it.each([['isk', 100], ['kwd', 10], ['bhd', 10], ['usd', 1], ['jpy', 1], ['huf', 1]])('%s charges step by %i minor units', (code, step) => {
    expect(chargeIncrement(code)).toBe(step);
  });
});

describe('ISO 4217 codes', () => {
  it.each(['usd', 'USD', 'Jpy', 'kwd', 'xof', 'chf'])('%s is a currency', (code) => {
    expect(isCurrencyCode(code)).toBe(true);
    expect(currencyCode(code)).toBe(code.toLowerCase());
  });

  it.each(['', 'us', 'usdd', 'abc', 'zzz', 'xau', 'XXX', 'xts', 'xdr', 'us1', ' usd', 'usd\u0000'])('%j is not', (code) => {
    expect(isCurrencyCode(code)).toBe(false);
    expect(() => currencyCode(code)).toThrow(MoneyError);
    expect(() => currencyExponent(code)).toThrow(MoneyError);
  });
});

describe('toMinorUnits', () => {
  it.each([
    [5000, 'jpy', 5000], // ¥5,000 is 5000 at Stripe, not 500,000
    [5000, 'JPY', 5000],
    [50, 'usd', 5000],
    [50.25, 'usd', 5025],
    [0.1, 'usd', 10],
    [0.29, 'usd', 29], // 0.29 * 100 is 28.999999999999996 in floating point
    [1.005, 'kwd', 1005],
    [1.234, 'kwd', 1234],
    [5, 'isk', 500],
    [9_999_999_999.99, 'usd', 999_999_999_999],
    ['50.10', 'usd', 5010],
    ['5000.00', 'jpy', 5000], // numeric(12,2) as PostgreSQL prints it
    ['0.005', 'kwd', 5],
    [0, 'usd', 0],
  ])('%j %s is %i minor units', (major, currency, minor) => {
    expect(toMinorUnits(major, currency)).toBe(minor);
  });

  it.each([
    [5000.5, 'jpy', /JPY amounts have no decimals/],
    [50.001, 'usd', /at most 2 decimals/],
    [1.0001, 'kwd', /at most 3 decimals/],
    [-1, 'usd', /not a non-negative decimal/],
    [Number.NaN, 'usd', /not a non-negative decimal/],
    [Number.POSITIVE_INFINITY, 'usd', /not a non-negative decimal/],
    [1e-7, 'usd', /not a non-negative decimal/],
    [1e300, 'usd', /not a non-negative decimal/],
    ['1e3', 'usd', /not a non-negative decimal/],
    ['12,50', 'eur', /not a non-negative decimal/],
    ['99999999999999999', 'jpy', /too large/],
    [5, 'zzz', /not an ISO 4217 currency code/],
  ])('refuses %j %s', (major, currency, message) => {
    expect(() => toMinorUnits(major, currency)).toThrow(message);
  });
});

describe('toMajorUnits and toDecimalString', () => {
  it.each([
    [5000, 'jpy', 5000, '5000'],
    [5025, 'usd', 50.25, '50.25'],
    [5, 'usd', 0.05, '0.05'],
    [1234, 'kwd', 1.234, '1.234'],
    [5, 'kwd', 0.005, '0.005'],
    [500, 'isk', 5, '5.00'],
    [-5025, 'usd', -50.25, '-50.25'],
    [0, 'usd', 0, '0.00'],
  ])('%i %s is %d (%s)', (minor, currency, major, text) => {
    expect(toMajorUnits(minor, currency)).toBe(major);
    expect(toDecimalString(minor, currency)).toBe(text);
  });

  it('refuses fractional minor units', () => {
    expect(() => toMajorUnits(50.5, 'usd')).toThrow(MoneyError);
  });

  it('round-trips every amount of every currency exponent', () => {
    for (const currency of ['jpy', 'usd', 'kwd']) {
      for (const minor of [0, 1, 9, 10, 99, 100, 101, 12_345, 999_999_999_999]) {
        expect(toMinorUnits(toMajorUnits(minor, currency), currency)).toBe(minor);
        expect(toMinorUnits(toDecimalString(minor, currency), currency)).toBe(minor);
      }
    }
  });
});
