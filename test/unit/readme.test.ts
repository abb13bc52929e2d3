import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describeConfig } from '../../domain/config';

/** The README's configuration table is what a newcomer reads; it must not drift from the schema. */
describe('README configuration table', () => {
  const readme = readFileSync(join(__dirname, '../../README.md'), 'utf8');
  const rows = new Map([...readme.matchAll(/^\| `([A-Z_]+)` \| `([^`]*)` \| (.+) \|$/gm)].map(([, name, value, meaning]) => [name, { value, meaning }]));

  it.each(describeConfig().map((v) => [v.name, v] as const))('documents %s with its default and meaning', (name, variable) => {
    expect(rows.get(name)).toEqual({ value: variable.defaultValue, meaning: variable.description });
  });

  it('documents no variable the configuration does not have', () => {
    const known = new Set(describeConfig().map((v) => v.name));
    expect([...rows.keys()].filter((name) => !known.has(name))).toEqual([]);
  });
});
