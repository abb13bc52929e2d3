import { MockActivityEnvironment } from '@temporalio/testing';
import { randomUUID } from 'node:crypto';
import { AttemptFence, closeFenceSessions } from '../../activities/attempt-fence';
import { type TestDatabase, createTestDatabase } from '../support/database';
import { Fixtures } from '../support/fixtures';

/**
 * The fence's lock sessions are pooled (activities/attempt-fence.ts): a session may serve the next fence
 * only when it holds no advisory lock any more, and a session that died while held is never reused.
 */
describe('attempt fence sessions', () => {
  let db: TestDatabase;
  let owner: Fixtures;
  let clientId: string;

  beforeAll(async () => {
    db = await createTestDatabase();
    owner = new Fixtures(db.ownerUrl);
    clientId = await owner.client('Fence sessions');
  });
  afterAll(async () => {
    await closeFenceSessions();
    await owner?.close();
    await db?.drop();
  });

  const inActivity = <T>(work: () => Promise<T>) => new MockActivityEnvironment().run<[], T, typeof work>(work);
  const backendOf = async (fence: AttemptFence) => (await fence.query<{ pid: number }>('select pg_backend_pid() as pid', []))[0].pid;
  /** Advisory locks held right now by fence sessions of this database. */
  const fenceLocks = () => owner.query<{ mode: string }>(
    `select l.mode from pg_locks l join pg_stat_activity a on a.pid = l.pid
      where l.locktype = 'advisory' and a.datname = $1 and a.application_name = 'track15-attempt-fence'`, [db.name]);

  it('a released session keeps no lock, not even one its holder forgot, and serves the next fence', async () => {
    const key = `fence-test:${randomUUID()}`;
    const first = await inActivity(async () => {
      const fence = await AttemptFence.acquire(db.appUrl, clientId, key);
      // A text's shared number lock that a cancelled attempt never unlocked (activities/delivery/lane-fence.ts).
      await fence.query(`select pg_advisory_lock_shared(hashtextextended('sms-number:forgotten', 0))`, []);
      expect((await fenceLocks()).map((lock) => lock.mode).sort()).toEqual(['ExclusiveLock', 'ShareLock']);
      const pid = await backendOf(fence);
      await fence.release();
      return pid;
    });
    expect(await fenceLocks()).toEqual([]);

    const second = await inActivity(async () => {
      const fence = await AttemptFence.acquire(db.appUrl, clientId, key);
      const pid = await backendOf(fence);
      await fence.release();
      return pid;
    });
    expect(second).toBe(first);
  });

  it('a session that died while held is closed, and the key is free for the next attempt on a new session', async () => {
    const key = `fence-test:${randomUUID()}`;
    const dead = await inActivity(async () => {
      const fence = await AttemptFence.acquire(db.appUrl, clientId, key);
      const pid = await backendOf(fence);
      await owner.query('select pg_terminate_backend($1)', [pid]);
      await expect(fence.query('select 1', [])).rejects.toThrow();
      await fence.release();
      return pid;
    });

    const next = await inActivity(async () => {
      const fence = await AttemptFence.acquire(db.appUrl, clientId, key);
      const pid = await backendOf(fence);
      await fence.release();
      return pid;
    });
    expect(next).not.toBe(dead);
  });
});
