/**
 * Answers remembered for a short time, by key: calls for one key within `freshMs` share one answer (in
 * flight or done), so a read that many callers poll costs one trip to PostgreSQL or Temporal per key and
 * window however many callers there are. A call that fails is forgotten at once (the next caller tries
 * again). At most `maxKeys` are kept; past that the memory is cleared rather than grown.
 */
export class RecentAnswers<T> {
  private readonly answers = new Map<string, { at: number; answer: Promise<T> }>();

  constructor(private readonly freshMs: number, private readonly maxKeys = 10_000) {}

  /** The answer remembered for `key` if younger than freshMs, else `produce()`'s, remembered. */
  get(key: string, produce: () => Promise<T>): Promise<T> {
    const now = Date.now();
    const remembered = this.answers.get(key);
    if (remembered && now - remembered.at < this.freshMs) return remembered.answer;
    if (this.answers.size >= this.maxKeys) this.answers.clear();
    const answer = produce();
    const entry = { at: now, answer };
    this.answers.set(key, entry);
    answer.catch(() => { if (this.answers.get(key) === entry) this.answers.delete(key); });
    return answer;
  }

  /** Forgets every key `matches` accepts (after a change this process made, so its own callers see it at once). */
  forget(matches: (key: string) => boolean): void {
    for (const key of this.answers.keys()) if (matches(key)) this.answers.delete(key);
  }
}
