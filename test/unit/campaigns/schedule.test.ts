import { ARC_DAYS, DEFAULT_DAY_SECONDS, computeSchedule, isValidTimeZone } from '../../../domain/campaigns/schedule';

const ALL_DAYS = Array.from({ length: ARC_DAYS }, (_, i) => i + 1);
const iso = (dates: Date[]) => dates.map((date) => date.toISOString());

/** The wall clock of an instant in a zone, 'YYYY-MM-DD HH:mm', to read results the way a recipient would. */
function local(instant: Date, timeZone: string): string {
  return new Intl.DateTimeFormat('sv-SE', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit' }).format(instant);
}

describe('computeSchedule with real days', () => {
  const real = { dayLengthSeconds: DEFAULT_DAY_SECONDS, days: ALL_DAYS };

  it('sends at the send hour on fifteen consecutive days in UTC', () => {
    const schedule = computeSchedule({ ...real, activatedAt: new Date('2025-03-01T08:30:00Z'), timezone: 'UTC', sendHour: 9 });
    expect(schedule.dueAt[0].toISOString()).toBe('2025-03-01T09:00:00.000Z');
    expect(schedule.dueAt[1].toISOString()).toBe('2025-03-02T09:00:00.000Z');
    expect(schedule.dueAt[14].toISOString()).toBe('2025-03-15T09:00:00.000Z');
    expect(schedule.anchor.toISOString()).toBe('2025-03-01T00:00:00.000Z');
    expect(schedule.windowEnd.toISOString()).toBe('2025-03-16T00:00:00.000Z');
  });

  it('keeps day 1 today when activation is exactly at the send hour', () => {
    const schedule = computeSchedule({ ...real, activatedAt: new Date('2025-03-01T09:00:00Z'), timezone: 'UTC', sendHour: 9 });
    expect(schedule.dueAt[0].toISOString()).toBe('2025-03-01T09:00:00.000Z');
  });

  it('moves day 1 to tomorrow when activation comes after the send hour', () => {
    const schedule = computeSchedule({ ...real, activatedAt: new Date('2025-03-01T09:00:00.001Z'), timezone: 'UTC', sendHour: 9 });
    expect(schedule.dueAt[0].toISOString()).toBe('2025-03-02T09:00:00.000Z');
    expect(schedule.anchor.toISOString()).toBe('2025-03-02T00:00:00.000Z');
    expect(schedule.windowEnd.toISOString()).toBe('2025-03-17T00:00:00.000Z');
  });

  it('keeps 9:00 local in New York across the March DST change', () => {
    const timezone = 'America/New_York';
    // 2025-03-09 02:00 EST jumps to 03:00 EDT; activation on the 5th at 08:00 EST.
    const schedule = computeSchedule({ ...real, activatedAt: new Date('2025-03-05T13:00:00Z'), timezone, sendHour: 9 });
    expect(schedule.dueAt.map((due) => local(due, timezone))).toEqual(ALL_DAYS.map((day) => `2025-03-${String(4 + day).padStart(2, '0')} 09:00`));
    expect(schedule.dueAt[3].toISOString()).toBe('2025-03-08T14:00:00.000Z'); // EST, UTC−5
    expect(schedule.dueAt[4].toISOString()).toBe('2025-03-09T13:00:00.000Z'); // EDT, UTC−4
    // Day 4 to day 5 is one hour short of a day in real time.
    expect(schedule.dueAt[4].getTime() - schedule.dueAt[3].getTime()).toBe(23 * 3_600_000);
    expect(schedule.anchor.toISOString()).toBe('2025-03-05T05:00:00.000Z');
    expect(schedule.windowEnd.toISOString()).toBe('2025-03-20T04:00:00.000Z');
    expect(local(schedule.windowEnd, timezone)).toBe('2025-03-20 00:00');
  });

  it('keeps the send hour local across the November change too', () => {
    const timezone = 'America/New_York';
    const schedule = computeSchedule({ ...real, activatedAt: new Date('2025-10-30T12:00:00Z'), timezone, sendHour: 18 });
    expect(new Set(schedule.dueAt.map((due) => local(due, timezone).slice(11)))).toEqual(new Set(['18:00']));
    expect(schedule.dueAt[3].toISOString()).toBe('2025-11-02T23:00:00.000Z'); // EST from the 2nd
    expect(schedule.dueAt[2].toISOString()).toBe('2025-11-01T22:00:00.000Z'); // EDT
  });

  it('decides "today" by the local calendar, not the UTC one', () => {
    // 02:00 UTC on the 6th is still 21:00 on the 5th in New York: day 1 is the 6th at 09:00 local, not the 7th.
    const schedule = computeSchedule({ ...real, activatedAt: new Date('2025-03-06T02:00:00Z'), timezone: 'America/New_York', sendHour: 9 });
    expect(schedule.dueAt[0].toISOString()).toBe('2025-03-06T14:00:00.000Z');
    // 23:30 UTC on the 5th is already 08:30 on the 6th in Tokyo: day 1 is the 6th at 09:00 local.
    const tokyo = computeSchedule({ ...real, activatedAt: new Date('2025-03-05T23:30:00Z'), timezone: 'Asia/Tokyo', sendHour: 9 });
    expect(tokyo.dueAt[0].toISOString()).toBe('2025-03-06T00:00:00.000Z');
  });

  it('moves a send hour that DST skips forward by the gap, and picks the first of a repeated hour', () => {
    const timezone = 'America/New_York';
    const spring = computeSchedule({ ...real, days: [1], activatedAt: new Date('2025-03-09T05:00:00Z'), timezone, sendHour: 2 });
    expect(spring.dueAt[0].toISOString()).toBe('2025-03-09T07:00:00.000Z'); // 03:00 EDT
    const fall = computeSchedule({ ...real, days: [1], activatedAt: new Date('2025-11-02T04:00:00Z'), timezone, sendHour: 1 });
    expect(fall.dueAt[0].toISOString()).toBe('2025-11-02T05:00:00.000Z'); // 01:00 EDT, not 01:00 EST an hour later
  });

  it('handles zones with half-hour offsets', () => {
    const schedule = computeSchedule({ ...real, days: [1, 2], activatedAt: new Date('2025-01-01T00:00:00Z'), timezone: 'Asia/Kolkata', sendHour: 9 });
    expect(iso(schedule.dueAt)).toEqual(['2025-01-01T03:30:00.000Z', '2025-01-02T03:30:00.000Z']);
  });

  it('follows the steps\' days, which may repeat or skip', () => {
    const schedule = computeSchedule({ ...real, days: [1, 1, 3, 15], activatedAt: new Date('2025-06-01T00:00:00Z'), timezone: 'UTC', sendHour: 10 });
    expect(iso(schedule.dueAt)).toEqual(['2025-06-01T10:00:00.000Z', '2025-06-01T10:00:00.000Z', '2025-06-03T10:00:00.000Z', '2025-06-15T10:00:00.000Z']);
  });

  it('crosses month and year ends', () => {
    const schedule = computeSchedule({ ...real, activatedAt: new Date('2025-12-25T12:00:00Z'), timezone: 'UTC', sendHour: 8 });
    expect(schedule.dueAt[0].toISOString()).toBe('2025-12-26T08:00:00.000Z');
    expect(schedule.dueAt[14].toISOString()).toBe('2026-01-09T08:00:00.000Z');
  });

  it('rejects an unknown time zone', () => {
    expect(() => computeSchedule({ ...real, activatedAt: new Date(), timezone: 'Mars/Olympus_Mons', sendHour: 9 })).toThrow(/Mars\/Olympus_Mons/);
  });
});

describe('computeSchedule with rehearsal days', () => {
  const activatedAt = new Date('2025-03-01T12:00:00Z');

  it('scales the arc to 2-second days from the moment of activation', () => {
    const schedule = computeSchedule({ activatedAt, timezone: 'UTC', sendHour: 12, dayLengthSeconds: 2, days: ALL_DAYS });
    expect(schedule.anchor).toEqual(activatedAt);
    // due(d) = activatedAt + (d − 1) · 2 s + 12/24 · 2 s
    expect(schedule.dueAt.map((due) => due.getTime() - activatedAt.getTime())).toEqual(ALL_DAYS.map((day) => (day - 1) * 2_000 + 1_000));
    expect(schedule.windowEnd.getTime() - activatedAt.getTime()).toBe(30_000);
  });

  it('puts a send hour of 0 at the very start of each rehearsal day, and ignores the time zone', () => {
    const schedule = computeSchedule({ activatedAt, timezone: 'not used', sendHour: 0, dayLengthSeconds: 60, days: [1, 2] });
    expect(schedule.dueAt.map((due) => due.getTime() - activatedAt.getTime())).toEqual([0, 60_000]);
  });

  it('treats a day of any other length than 86,400 s as a rehearsal', () => {
    const schedule = computeSchedule({ activatedAt, timezone: 'America/New_York', sendHour: 9, dayLengthSeconds: 86_401, days: [1] });
    expect(schedule.dueAt[0].getTime() - activatedAt.getTime()).toBe(86_401_000 * (9 / 24));
  });

  it('ends every touchpoint inside the window', () => {
    const schedule = computeSchedule({ activatedAt, timezone: 'UTC', sendHour: 23, dayLengthSeconds: 2, days: ALL_DAYS });
    expect(schedule.dueAt.every((due) => due < schedule.windowEnd)).toBe(true);
  });
});

describe('computeSchedule input', () => {
  const valid = { activatedAt: new Date('2025-03-01T12:00:00Z'), timezone: 'UTC', sendHour: 9, dayLengthSeconds: 2, days: [1] };

  it.each([
    ['a send hour of 24', { sendHour: 24 }],
    ['a negative send hour', { sendHour: -1 }],
    ['a fractional send hour', { sendHour: 9.5 }],
    ['a zero-length day', { dayLengthSeconds: 0 }],
    ['day 0', { days: [0] }],
    ['a fractional day', { days: [1.5] }],
  ])('rejects %s', (_, change) => {
    expect(() => computeSchedule({ ...valid, ...change })).toThrow(RangeError);
  });
});

describe('isValidTimeZone', () => {
  it.each(['UTC', 'America/New_York', 'Europe/London', 'Asia/Kolkata'])('accepts %s', (zone) => {
    expect(isValidTimeZone(zone)).toBe(true);
  });

  it.each(['', 'Mars/Olympus_Mons', 'America/Nowhere', 'EST+99'])('rejects %p', (zone) => {
    expect(isValidTimeZone(zone)).toBe(false);
  });
});
