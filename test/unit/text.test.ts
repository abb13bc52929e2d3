import { jsonTextFaults, textFault } from '../../domain/text';

describe('the text rule', () => {
  it.each([
    ['NUL', 'a\u0000b', 'control character U+0000 at character 2'],
    ['a C0 control', '\u0007bell', 'control character U+0007 at character 1'],
    ['DEL', 'x\u007f', 'control character U+007F at character 2'],
    ['a C1 control', 'caf\u0085', 'control character U+0085 at character 4'],
    ['a lone high surrogate', 'ab\ud800', 'unpaired UTF-16 surrogate (U+D800) at character 3'],
    ['a lone low surrogate', '\udc00z', 'unpaired UTF-16 surrogate (U+DC00) at character 1'],
    ['surrogates in the wrong order', '\udc00\ud800', 'unpaired UTF-16 surrogate (U+DC00) at character 1'],
    ['a line feed in single-line text', 'two\nlines', 'control character U+000A at character 4; this field is a single line of text'],
    ['a tab in single-line text', 'a\tb', 'control character U+0009'],
  ])('refuses %s', (_name, value, message) => {
    expect(textFault(value)).toContain(message);
  });

  it.each([
    ['plain text', 'Anne & Tom O\'Brien'],
    ['accents and scripts', 'René Ørsted 東京 مرحبا'],
    ['a surrogate pair (emoji)', 'thanks 💚🎉'],
    ['U+FFFD itself', 'Ren\uFFFD'],
    ['the empty string', ''],
  ])('accepts %s', (_name, value) => {
    expect(textFault(value)).toBeUndefined();
    expect(textFault(value, { multiline: true })).toBeUndefined();
  });

  it('admits tab, LF and CR only in multi-line text', () => {
    expect(textFault('Dear friend,\r\n\tthank you.\n', { multiline: true })).toBeUndefined();
    expect(textFault('still\u000bnot', { multiline: true })).toContain('U+000B at character 6; only tab and line breaks are allowed');
    expect(textFault('nul\u0000', { multiline: true })).toContain('U+0000');
  });

  it('finds every fault of a JSON value, in keys and values at any depth, by path', () => {
    expect(jsonTextFaults({ ok: 'fine\nline', 'k\u0000': 1, nested: { list: ['a', 'b\ud800', { deep: '\u0001' }] }, n: null, b: true })).toEqual([
      { path: ['k\u0000'], message: expect.stringMatching(/^key contains the control character U\+0000/) },
      { path: ['nested', 'list', 1], message: expect.stringContaining('U+D800') },
      { path: ['nested', 'list', 2, 'deep'], message: expect.stringContaining('U+0001') },
    ]);
    expect(jsonTextFaults({ clean: ['x', 1, { y: 'z' }] })).toEqual([]);
  });
});
