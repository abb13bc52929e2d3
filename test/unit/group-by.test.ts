import { groupBy } from '../../domain/group-by';

describe('groupBy', () => {
  it('keeps groups and their items in first-seen order, null a key like any other', () => {
    const rows = [{ k: 'b', n: 1 }, { k: null, n: 2 }, { k: 'a', n: 3 }, { k: 'b', n: 4 }, { k: null, n: 5 }];
    const groups = groupBy(rows, (row) => row.k);
    expect([...groups.keys()]).toEqual(['b', null, 'a']);
    expect([...groups.values()].map((group) => group.map((row) => row.n))).toEqual([[1, 4], [2, 5], [3]]);
  });

  it('gives no groups for no items', () => {
    expect(groupBy([], (x: number) => x).size).toBe(0);
  });
});
