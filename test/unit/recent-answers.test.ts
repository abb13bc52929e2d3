import { RecentAnswers } from '../../api/services/recent-answers';

describe('RecentAnswers', () => {
  it('shares one answer per key within the window, in flight or done, and asks again after it', async () => {
    const recent = new RecentAnswers<number>(500);
    let calls = 0;
    const produce = () => new Promise<number>((resolve) => setTimeout(() => resolve(++calls), 5));
    expect(await Promise.all([recent.get('a', produce), recent.get('a', produce), recent.get('b', produce)])).toEqual([1, 1, 2]);
    expect(await recent.get('a', produce)).toBe(1);
    await new Promise((resolve) => setTimeout(resolve, 550));
    expect(await recent.get('a', produce)).toBe(3);
  });

  it('forgets a failure at once, and a key when told to', async () => {
    const recent = new RecentAnswers<string>(60_000);
    await expect(recent.get('k', () => Promise.reject(new Error('database down')))).rejects.toThrow('database down');
    expect(await recent.get('k', async () => 'answered')).toBe('answered');
    expect(await recent.get('k', async () => 'again')).toBe('answered');
    recent.forget((key) => key === 'k');
    expect(await recent.get('k', async () => 'after the change')).toBe('after the change');
  });

  it('clears its memory rather than grow past maxKeys', async () => {
    const recent = new RecentAnswers<string>(60_000, 2);
    await recent.get('a', async () => 'a1');
    await recent.get('b', async () => 'b1');
    await recent.get('c', async () => 'c1');
    expect(await recent.get('a', async () => 'a2')).toBe('a2');
  });
});
