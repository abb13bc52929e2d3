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

export interface CalendarDate { year: number; month: number; day: number }

export function addDays(date: CalendarDate, days: number): CalendarDate {
  const shifted = new Date(Date.UTC(date.year, date.month - 1, date.day + days));
  return { year: shifted.getUTCFullYear(), month: shifted.getUTCMonth() + 1, day: shifted.getUTCDate() };
}

const formatters = new Map<string, Intl.DateTimeFormat>();

/** The zone's wall clock at an instant, as if that wall time were UTC (milliseconds). */
export function wallClock(instant: number, timezone: string): number {
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

export function localDate(instant: Date, timezone: string): CalendarDate {
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
export function zonedTime(date: CalendarDate, hour: number, timezone: string, minute = 0): Date {
  const wall = Date.UTC(date.year, date.month - 1, date.day, hour, minute);
  const dayMs = 86_400_000;
  const candidates = [offsetMs(wall - dayMs, timezone), offsetMs(wall + dayMs, timezone)].map((offset) => wall - offset);
  const exact = candidates.filter((instant) => wallClock(instant, timezone) === wall);
  return new Date(exact.length > 0 ? Math.min(...exact) : Math.max(...candidates));
}

/**
 * Local delivery (issue 14, item 6). Each recipient's touchpoints follow the arc in their own time zone:
 * touchpoint n goes out on their n-th local day at the send hour, day 1 being the first local day whose
 * send hour is still ahead at activation. Recipients whose zones show the send hour at the same instant
 * form one wave. A rehearsal plays the same calendar faster: its clock starts at local midnight of the
 * campaign's start date (else of the activation date) in the campaign's zone, and one rehearsal day of
 * `dayLengthSeconds` stands for 24 hours of that clock, so zone offsets, DST and quiet hours scale with it.
 */
export interface ArcClock {
  activatedAt: Date;
  /** IANA zone of the campaign: recipients without a (valid) zone of their own use it. */
  campaignZone: string;
  /** Local hour, 0-23. */
  sendHour: number;
  dayLengthSeconds: number;
  /** A rehearsal's calendar date (YYYY-MM-DD, the campaign's start date); real days ignore it. */
  rehearsalDate?: string | null;
  /** The client's quiet hours, local wall-clock times ('HH:MM' or 'HH:MM:SS'): a send due inside waits for the end. */
  quietHours?: { start: string; end: string } | null;
  /** How long the campaign has been paused in all, in milliseconds. */
  pausedMs: number;
}

/** Recipients in `zones` get the touchpoint at `dueAt` (epoch milliseconds). */
export interface Wave { dueAt: number; zones: string[] }

/**
 * Whole days a pause moves what remains of the arc: the paused time rounded up to days, so every later
 * touchpoint keeps its day spacing and its send hour and none goes out earlier than its first plan.
 */
export function pauseShiftDays(pausedMs: number, dayLengthSeconds: number): number {
  return pausedMs > 0 ? Math.ceil(pausedMs / (dayLengthSeconds * 1000)) : 0;
}

/** When a recipient in `zone` gets the touchpoint of arc day `day`: a pure function of the clock, the day and the zone. */
export function zoneDueAt(clock: ArcClock, day: number, zone: string): Date {
  checkClock(clock, day);
  const calendar = new ZoneCalendar(clock, zone);
  return calendar.real(calendar.sendOn(addDays(calendar.firstDay, day - 1 + pauseShiftDays(clock.pausedMs, clock.dayLengthSeconds))));
}

/** The touchpoint of arc day `day` for recipients in `zones`, as waves in time order (zones sorted within a wave). */
export function touchpointWaves(clock: ArcClock, day: number, zones: string[]): Wave[] {
  const byInstant = new Map<number, string[]>();
  for (const zone of [...new Set(zones)].sort()) {
    const dueAt = zoneDueAt(clock, day, zone).getTime();
    byInstant.set(dueAt, [...(byInstant.get(dueAt) ?? []), zone]);
  }
  return [...byInstant.entries()].sort(([a], [b]) => a - b).map(([dueAt, waveZones]) => ({ dueAt, zones: waveZones }));
}

/** The end of the arc's last day in the zone where it ends last (the campaign's or a recipient's): analytics follow it. */
export function arcEnd(clock: ArcClock, zones: string[]): Date {
  checkClock(clock, 1);
  const shift = pauseShiftDays(clock.pausedMs, clock.dayLengthSeconds);
  return new Date(Math.max(...[clock.campaignZone, ...zones].map((zone) => {
    const calendar = new ZoneCalendar(clock, zone);
    return calendar.real(zonedTime(addDays(calendar.firstDay, ARC_DAYS + shift), 0, calendar.zone)).getTime();
  })));
}

function checkClock(clock: ArcClock, day: number): void {
  computeSchedule({ activatedAt: clock.activatedAt, timezone: clock.campaignZone, sendHour: clock.sendHour, dayLengthSeconds: clock.dayLengthSeconds, days: [day] });
  if (!(clock.pausedMs >= 0)) throw new RangeError(`pausedMs must not be negative, got ${clock.pausedMs}`);
}

/** One zone's view of the arc, on the real clock or a rehearsal's scaled one. */
class ZoneCalendar {
  readonly zone: string;
  readonly firstDay: CalendarDate;
  private readonly start: number;
  private readonly scale: number;
  private readonly quiet: { start: number; end: number } | null;

  constructor(private readonly clock: ArcClock, zone: string) {
    this.zone = isValidTimeZone(zone) ? zone : clock.campaignZone;
    const rehearsal = clock.dayLengthSeconds !== DEFAULT_DAY_SECONDS;
    const date = rehearsal ? (parseDate(clock.rehearsalDate) ?? localDate(clock.activatedAt, clock.campaignZone)) : null;
    this.start = date ? zonedTime(date, 0, clock.campaignZone).getTime() : clock.activatedAt.getTime();
    this.scale = rehearsal ? clock.dayLengthSeconds / DEFAULT_DAY_SECONDS : 1;
    this.quiet = clock.quietHours ? { start: minutesOfDay(clock.quietHours.start), end: minutesOfDay(clock.quietHours.end) } : null;
    const today = localDate(new Date(this.start), this.zone);
    this.firstDay = this.sendOn(today).getTime() >= this.start ? today : addDays(today, 1);
  }

  /** The send time on a local date (on this calendar's clock), moved to the end of quiet hours when it falls inside them. */
  sendOn(date: CalendarDate): Date {
    const minute = this.clock.sendHour * 60;
    const quiet = this.quiet;
    if (!quiet || !insideQuietHours(minute, quiet)) return zonedTime(date, this.clock.sendHour, this.zone);
    // Quiet hours that run past midnight end on the next local day when the send hour is before midnight.
    const endDate = quiet.start > quiet.end && minute >= quiet.start ? addDays(date, 1) : date;
    return zonedTime(endDate, Math.floor(quiet.end / 60), this.zone, quiet.end % 60);
  }

  /** A time on this calendar's clock as a real instant; a rehearsal rounds up, so nothing is early. */
  real(instant: Date): Date {
    if (this.scale === 1) return instant;
    return new Date(this.clock.activatedAt.getTime() + Math.ceil((instant.getTime() - this.start) * this.scale));
  }
}

function insideQuietHours(minute: number, quiet: { start: number; end: number }): boolean {
  return quiet.start < quiet.end ? minute >= quiet.start && minute < quiet.end : minute >= quiet.start || minute < quiet.end;
}

/** Minutes since midnight of 'HH:MM' or 'HH:MM:SS' (seconds are dropped: quiet hours are set to the minute). */
export function minutesOfDay(time: string): number {
  const match = /^([01]\d|2[0-3]):([0-5]\d)(?::[0-5]\d(?:\.\d+)?)?$/.exec(time);
  if (!match) throw new RangeError(`'${time}' is not a time of day HH:MM`);
  return Number(match[1]) * 60 + Number(match[2]);
}

function parseDate(date: string | null | undefined): CalendarDate | null {
  const match = date ? /^(\d{4})-(\d{2})-(\d{2})/.exec(date) : null;
  return match ? { year: Number(match[1]), month: Number(match[2]), day: Number(match[3]) } : null;
}
