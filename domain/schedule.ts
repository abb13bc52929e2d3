/**
 * When each touchpoint is due. With real days, touchpoint n goes out on the campaign's n-th calendar day
 * (in its time zone) at the send hour, whatever DST does in between. Any other day length is a
 * rehearsal: the arc is the same shape, scaled, starting at activation.
 */
export const DEFAULT_DAY_SECONDS = 86_400;
export const ARC_DAYS = 15;

export interface ScheduleInput {
  activatedAt: Date;
  /** IANA name, e.g. America/New_York; only real days use it. */
  timezone: string;
  /** Local hour, 0-23. */
  sendHour: number;
  dayLengthSeconds: number;
  /** The day (1-based) of each step, in step order. */
  days: number[];
}
/** `anchor` is where day 1 begins and `windowEnd` where day 15 ends; `dueAt[i]` belongs to `days[i]`. */
export interface Schedule { anchor: Date; dueAt: Date[]; windowEnd: Date }

export function computeSchedule(input: ScheduleInput): Schedule {
  if (!Number.isInteger(input.sendHour) || input.sendHour < 0 || input.sendHour > 23) throw new RangeError(`sendHour must be a whole hour 0-23, got ${input.sendHour}`);
  if (!(input.dayLengthSeconds > 0)) throw new RangeError(`dayLengthSeconds must be positive, got ${input.dayLengthSeconds}`);
  const badDay = input.days.find((day) => !Number.isInteger(day) || day < 1);
  if (badDay !== undefined) throw new RangeError(`days are counted from 1, got ${badDay}`);
  return input.dayLengthSeconds === DEFAULT_DAY_SECONDS ? calendarSchedule(input) : rehearsalSchedule(input);
}

function rehearsalSchedule({ activatedAt, sendHour, dayLengthSeconds, days }: ScheduleInput): Schedule {
  const dayMs = dayLengthSeconds * 1000;
  const at = (day: number) => new Date(activatedAt.getTime() + (day - 1) * dayMs + (sendHour / 24) * dayMs);
  return { anchor: activatedAt, dueAt: days.map(at), windowEnd: new Date(activatedAt.getTime() + ARC_DAYS * dayMs) };
}

function calendarSchedule({ activatedAt, timezone, sendHour, days }: ScheduleInput): Schedule {
  if (!isValidTimeZone(timezone)) throw new RangeError(`unknown time zone '${timezone}'`);
  const today = localDate(activatedAt, timezone);
  // Day 1 is today if today's send hour is still ahead, else tomorrow.
  const firstDay = zonedTime(today, sendHour, timezone) >= activatedAt ? today : addDays(today, 1);
  const at = (day: number) => zonedTime(addDays(firstDay, day - 1), sendHour, timezone);
  return { anchor: zonedTime(firstDay, 0, timezone), dueAt: days.map(at), windowEnd: zonedTime(addDays(firstDay, ARC_DAYS), 0, timezone) };
}

export function isValidTimeZone(timezone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: timezone });
    return true;
  } catch {
    return false;
  }
}

interface CalendarDate { year: number; month: number; day: number }

function addDays(date: CalendarDate, days: number): CalendarDate {
  const shifted = new Date(Date.UTC(date.year, date.month - 1, date.day + days));
  return { year: shifted.getUTCFullYear(), month: shifted.getUTCMonth() + 1, day: shifted.getUTCDate() };
}

const formatters = new Map<string, Intl.DateTimeFormat>();

/** The zone's wall clock at an instant, as if that wall time were UTC (milliseconds). */
function wallClock(instant: number, timezone: string): number {
  let format = formatters.get(timezone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone: timezone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric',
    });
    formatters.set(timezone, format);
  }
  const p = Object.fromEntries(format.formatToParts(instant).filter((part) => part.type !== 'literal').map((part) => [part.type, Number(part.value)]));
  return Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second);
}

function localDate(instant: Date, timezone: string): CalendarDate {
  const wall = new Date(wallClock(instant.getTime(), timezone));
  return { year: wall.getUTCFullYear(), month: wall.getUTCMonth() + 1, day: wall.getUTCDate() };
}

/** How far the zone's wall clock is ahead of UTC at an instant (whole seconds; the formatter has no finer). */
function offsetMs(instant: number, timezone: string): number {
  return wallClock(instant, timezone) - Math.floor(instant / 1000) * 1000;
}

/**
 * The instant the zone's wall clock shows `hour`:00 on `date`. The offsets either side of the wanted wall
 * time are the only candidates. When the clock shows that time twice (DST ends) the earlier wins; when it
 * never does (DST starts) the send moves forward by the gap, as a clock set the night before would.
 */
function zonedTime(date: CalendarDate, hour: number, timezone: string): Date {
  const wall = Date.UTC(date.year, date.month - 1, date.day, hour);
  const dayMs = 86_400_000;
  const candidates = [offsetMs(wall - dayMs, timezone), offsetMs(wall + dayMs, timezone)].map((offset) => wall - offset);
  const exact = candidates.filter((instant) => wallClock(instant, timezone) === wall);
  return new Date(exact.length > 0 ? Math.min(...exact) : Math.max(...candidates));
}
