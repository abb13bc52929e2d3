import { type ArcClock, ARC_DAYS, arcEnd, computeSchedule, minutesOfDay, pauseShiftDays, touchpointWaves, zoneDueAt } from '../../../domain/campaigns/schedule';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** The wall clock of an instant in a zone, 'YYYY-MM-DD HH:mm', to read results the way a recipient would. */
function local(instant: Date | number, timeZone: string): string {
  return new Intl.DateTimeFormat('sv-SE', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit' }).format(instant);
}

const realDays = (change: Partial<ArcClock> = {}): ArcClock => ({
  activatedAt: new Date('2026-03-05T13:00:00Z'), // 08:00 in New York
  campaignZone: 'America/New_York', sendHour: 9, dayLengthSeconds: 86_400, pausedMs: 0, ...change,
});

describe('zoneDueAt', () => {
  it('is the campaign schedule itself in the campaign zone, at real pace and in rehearsals', () => {
    for (const dayLengthSeconds of [86_400, 2, 60]) {
      const clock = realDays({ dayLengthSeconds, campaignZone: 'UTC' });
      const schedule = computeSchedule({ activatedAt: clock.activatedAt, timezone: 'UTC', sendHour: 9, dayLengthSeconds, days: [1, 2, 7, 15] });
      expect([1, 2, 7, 15].map((day) => zoneDueAt(clock, day, 'UTC'))).toEqual(schedule.dueAt);
    }
  });

  it('sends at the send hour of each recipient\'s own zone, from the first local day whose send hour is ahead', () => {
    const clock = realDays();
    expect(zoneDueAt(clock, 1, 'America/New_York').toISOString()).toBe('2026-03-05T14:00:00.000Z'); // 09:00 EST today
    expect(zoneDueAt(clock, 1, 'America/Los_Angeles').toISOString()).toBe('2026-03-05T17:00:00.000Z'); // 05:00 there: today
    expect(zoneDueAt(clock, 1, 'Asia/Tokyo').toISOString()).toBe('2026-03-06T00:00:00.000Z'); // 22:00 there: tomorrow
    expect(zoneDueAt(clock, 1, 'Europe/Berlin').toISOString()).toBe('2026-03-06T08:00:00.000Z'); // 14:00 there: tomorrow
    for (const zone of ['America/New_York', 'America/Los_Angeles', 'Asia/Tokyo', 'Europe/Berlin', 'Asia/Kolkata']) {
      for (const day of [1, 5, 15]) expect(local(zoneDueAt(clock, day, zone), zone).slice(11)).toBe('09:00');
    }
  });

  it('gives a recipient without a usable zone the campaign\'s', () => {
    const clock = realDays();
    expect(zoneDueAt(clock, 3, 'Mars/Olympus_Mons')).toEqual(zoneDueAt(clock, 3, 'America/New_York'));
    expect(zoneDueAt(clock, 3, '')).toEqual(zoneDueAt(clock, 3, 'America/New_York'));
  });

  it('refuses a clock it cannot read', () => {
    expect(() => zoneDueAt(realDays({ sendHour: 24 }), 1, 'UTC')).toThrow(RangeError);
    expect(() => zoneDueAt(realDays({ pausedMs: -1 }), 1, 'UTC')).toThrow(RangeError);
    expect(() => zoneDueAt(realDays(), 0, 'UTC')).toThrow(RangeError);
    expect(() => zoneDueAt(realDays({ campaignZone: 'Nowhere/Land' }), 1, 'UTC')).toThrow(/Nowhere/);
  });
});

describe('touchpointWaves', () => {
  it('groups zones that reach the send hour at the same instant, in time order', () => {
    const waves = touchpointWaves(realDays(), 1, ['Europe/Berlin', 'Asia/Tokyo', 'America/New_York', 'America/Los_Angeles', 'America/Toronto', 'Bad/Zone', 'Europe/Paris']);
    expect(waves.map((wave) => ({ at: new Date(wave.dueAt).toISOString(), zones: wave.zones }))).toEqual([
      { at: '2026-03-05T14:00:00.000Z', zones: ['America/New_York', 'America/Toronto', 'Bad/Zone'] },
      { at: '2026-03-05T17:00:00.000Z', zones: ['America/Los_Angeles'] },
      { at: '2026-03-06T00:00:00.000Z', zones: ['Asia/Tokyo'] },
      { at: '2026-03-06T08:00:00.000Z', zones: ['Europe/Berlin', 'Europe/Paris'] },
    ]);
  });

  it('keeps every wave at 09:00 local when New York springs forward (2026-03-08) inside the arc', () => {
    const clock = realDays({ activatedAt: new Date('2026-03-06T12:00:00Z') }); // 07:00 EST: New York's day 1 is the 6th
    const at = (day: number) => touchpointWaves(clock, day, ['America/New_York', 'Europe/Berlin']).map((wave) => new Date(wave.dueAt).toISOString());
    // Berlin (already 13:00 there) starts on the 7th; New York on the 6th.
    expect(at(2)).toEqual(['2026-03-07T14:00:00.000Z', '2026-03-08T08:00:00.000Z']); // EST, UTC−5
    expect(at(3)).toEqual(['2026-03-08T13:00:00.000Z', '2026-03-09T08:00:00.000Z']); // EDT, UTC−4: one hour earlier in UTC
    // The New York wave comes 23 real hours after the day before; Berlin's keeps 24 until its own change.
    expect(Date.parse(at(3)[0]) - Date.parse(at(2)[0])).toBe(23 * HOUR);
    expect(Date.parse(at(3)[1]) - Date.parse(at(2)[1])).toBe(DAY);
    expect(local(Date.parse(at(3)[0]), 'America/New_York')).toBe('2026-03-08 09:00');
  });

  it('keeps 09:00 local when New York falls back (2026-11-01) and Berlin (2026-10-25) a week earlier', () => {
    const clock = realDays({ activatedAt: new Date('2026-10-20T00:00:00Z'), campaignZone: 'UTC' });
    const ny = [...Array(ARC_DAYS)].map((_, i) => zoneDueAt(clock, i + 1, 'America/New_York'));
    const berlin = [...Array(ARC_DAYS)].map((_, i) => zoneDueAt(clock, i + 1, 'Europe/Berlin'));
    expect(ny.every((due) => local(due, 'America/New_York').endsWith('09:00'))).toBe(true);
    expect(berlin.every((due) => local(due, 'Europe/Berlin').endsWith('09:00'))).toBe(true);
    // Day 1 is the 20th in both zones: New York on 2026-10-31 (EDT) and 2026-11-01 (EST) is day 12, 13.
    expect(ny[11].toISOString()).toBe('2026-10-31T13:00:00.000Z');
    expect(ny[12].toISOString()).toBe('2026-11-01T14:00:00.000Z');
    expect(berlin[4].toISOString()).toBe('2026-10-24T07:00:00.000Z'); // CEST
    expect(berlin[5].toISOString()).toBe('2026-10-25T08:00:00.000Z'); // CET
  });

  it('moves a send hour that DST skips forward by the gap, and takes the first of a repeated hour', () => {
    // Berlin 2026-03-29 02:00 CET jumps to 03:00 CEST; New York 2026-11-01 01:00 EDT falls back to 01:00 EST.
    const spring = realDays({ activatedAt: new Date('2026-03-28T12:00:00Z'), campaignZone: 'UTC', sendHour: 2 });
    expect(zoneDueAt(spring, 1, 'Europe/Berlin').toISOString()).toBe('2026-03-29T01:00:00.000Z'); // 03:00 CEST
    const fall = realDays({ activatedAt: new Date('2026-10-31T12:00:00Z'), campaignZone: 'UTC', sendHour: 1 });
    expect(zoneDueAt(fall, 1, 'America/New_York').toISOString()).toBe('2026-11-01T05:00:00.000Z'); // 01:00 EDT, not EST
  });
});

describe('after a pause', () => {
  it('moves what remains by whole days, at the send hour: a 20-hour pause no longer lands at 05:00', () => {
    const before = realDays();
    const after = realDays({ pausedMs: 20 * HOUR });
    for (const zone of ['America/New_York', 'Asia/Tokyo', 'Europe/Berlin']) {
      for (const day of [4, 9, 15]) {
        expect(zoneDueAt(after, day, zone).getTime()).toBe(zoneDueAt(before, day + 1, zone).getTime());
        expect(local(zoneDueAt(after, day, zone), zone).slice(11)).toBe('09:00');
      }
    }
  });

  it('rounds the paused time up to days, so nothing goes out earlier than planned', () => {
    expect([0, 1, DAY - 1, DAY, DAY + 1, 3 * DAY].map((ms) => pauseShiftDays(ms, 86_400))).toEqual([0, 1, 1, 1, 2, 3]);
    expect(pauseShiftDays(5_000, 2)).toBe(3);
    const clock = realDays({ activatedAt: new Date('2026-06-01T12:00:00Z') }); // no DST change in the arc
    for (const pausedMs of [1, 5 * HOUR, 20 * HOUR, DAY, DAY + 1, 50 * HOUR]) {
      for (const day of [2, 8, 15]) {
        const shifted = zoneDueAt({ ...clock, pausedMs }, day, 'Asia/Kolkata').getTime();
        const planned = zoneDueAt(clock, day, 'Asia/Kolkata').getTime();
        expect(shifted - planned).toBeGreaterThanOrEqual(pausedMs);
        expect((shifted - planned) % DAY).toBe(0);
      }
    }
  });

  it('keeps the local hour when the shifted days cross a DST change', () => {
    const clock = realDays({ activatedAt: new Date('2026-03-01T12:00:00Z'), pausedMs: 30 * HOUR });
    const due = zoneDueAt(clock, 6, 'America/New_York'); // day 6 + 2 = the 8th, the first EDT day
    expect(local(due, 'America/New_York')).toBe('2026-03-08 09:00');
  });

  it('moves the end of the arc by the same days', () => {
    const zones = ['America/New_York', 'Pacific/Honolulu'];
    expect(arcEnd(realDays({ pausedMs: 20 * HOUR }), zones).getTime() - arcEnd(realDays(), zones).getTime()).toBe(DAY);
  });
});

describe('quiet hours', () => {
  const quiet = { start: '21:00', end: '08:00' };

  it('holds a send due inside them until they end, on the same or the next local day', () => {
    const early = realDays({ sendHour: 7, quietHours: quiet, activatedAt: new Date('2026-06-01T00:00:00Z') });
    expect(local(zoneDueAt(early, 1, 'America/New_York'), 'America/New_York')).toBe('2026-06-01 08:00');
    expect(local(zoneDueAt(early, 1, 'Europe/Berlin'), 'Europe/Berlin')).toBe('2026-06-01 08:00');
    const late = realDays({ sendHour: 22, quietHours: quiet, activatedAt: new Date('2026-06-01T00:00:00Z') });
    // It is 20:00 on May 31 in New York: day 1's 22:00 is that evening, held to 08:00 on June 1.
    expect(local(zoneDueAt(late, 1, 'America/New_York'), 'America/New_York')).toBe('2026-06-01 08:00');
    expect(local(zoneDueAt(late, 2, 'America/New_York'), 'America/New_York')).toBe('2026-06-02 08:00');
  });

  it('handles quiet hours within a day, with minutes, and leaves sends outside them alone', () => {
    const clock = realDays({ activatedAt: new Date('2026-06-01T00:00:00Z'), campaignZone: 'UTC' });
    expect(local(zoneDueAt({ ...clock, sendHour: 13, quietHours: { start: '12:00', end: '14:30:00' } }, 2, 'UTC'), 'UTC')).toBe('2026-06-02 14:30');
    expect(local(zoneDueAt({ ...clock, sendHour: 11, quietHours: { start: '12:00', end: '14:30' } }, 2, 'UTC'), 'UTC')).toBe('2026-06-02 11:00');
    expect(local(zoneDueAt({ ...clock, sendHour: 8, quietHours: quiet }, 2, 'UTC'), 'UTC')).toBe('2026-06-02 08:00');
    expect(local(zoneDueAt({ ...clock, sendHour: 21, quietHours: quiet }, 2, 'UTC'), 'UTC')).toBe('2026-06-03 08:00');
  });

  it('reads times of day strictly', () => {
    expect(minutesOfDay('00:00')).toBe(0);
    expect(minutesOfDay('23:59:59')).toBe(1439);
    for (const bad of ['24:00', '9:00', '12:60', '', '12:00Z']) expect(() => minutesOfDay(bad)).toThrow(RangeError);
  });
});

describe('rehearsals', () => {
  it('play the start date\'s calendar faster: zone offsets and DST scale with the day length', () => {
    // One rehearsal day of 2.4 s: one hour of the rehearsal clock is 100 ms.
    const activatedAt = new Date('2026-11-30T15:00:00Z');
    const clock: ArcClock = { activatedAt, campaignZone: 'America/New_York', sendHour: 9, dayLengthSeconds: 2.4, pausedMs: 0, rehearsalDate: '2026-03-07' };
    const offset = (day: number, zone: string) => zoneDueAt(clock, day, zone).getTime() - activatedAt.getTime();
    // The clock starts at 2026-03-07 00:00 EST. New York: 09:00 EST, then 09:00 EDT on the 8th (32 h on, not 33).
    expect(offset(1, 'America/New_York')).toBe(900);
    expect(offset(2, 'America/New_York')).toBe(3_200);
    // Berlin was at 06:00 then: its 09:00 (08:00 UTC) is 3 hours on, and stays at 08:00 UTC on the 8th (27 h on).
    expect(offset(1, 'Europe/Berlin')).toBe(300);
    expect(offset(2, 'Europe/Berlin')).toBe(2_700);
    expect(touchpointWaves(clock, 2, ['America/New_York', 'Europe/Berlin']).map((wave) => wave.zones)).toEqual([['Europe/Berlin'], ['America/New_York']]);
  });

  it('start at the activation date when the campaign has no start date, and end after the last zone\'s day 15', () => {
    const activatedAt = new Date('2026-06-10T12:00:00Z');
    const clock: ArcClock = { activatedAt, campaignZone: 'UTC', sendHour: 9, dayLengthSeconds: 24, pausedMs: 0 };
    expect(zoneDueAt(clock, 1, 'UTC').getTime() - activatedAt.getTime()).toBe(9_000);
    expect(arcEnd(clock, []).getTime() - activatedAt.getTime()).toBe(15 * 24_000);
    // Honolulu (UTC−10) was at 14:00 the day before: its day 1 is the 10th, its day 15 ends at 10:00 UTC on the 25th.
    expect(arcEnd(clock, ['Pacific/Honolulu']).getTime() - activatedAt.getTime()).toBe(15 * 24_000 + 10_000);
    expect(zoneDueAt({ ...clock, pausedMs: 30_000 }, 1, 'UTC').getTime() - activatedAt.getTime()).toBe(9_000 + 2 * 24_000);
  });
});
