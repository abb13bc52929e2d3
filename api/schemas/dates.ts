import { z } from 'zod';

/** Clocks disagree: a caller's "now" may run this far ahead of ours (5 minutes, as Stripe's and SendGrid's signature tolerance). */
export const MAX_CLOCK_SKEW_MS = 5 * 60_000;
/** Nothing the product records happened before this (a year such as 0202 is a typo, not a gift). */
const EARLIEST = Date.parse('1900-01-01T00:00:00Z');

/**
 * An instant at which something already happened (a gift's `donated_at`, the `as_of` of a score): ISO
 * 8601 with an offset, not later than now plus MAX_CLOCK_SKEW_MS, not before 1900. Checked when the
 * request is validated, so a gift dated 2062 is a 400 naming its field, not a donor who skips every
 * conversion ask until 2062. Every past-instant field a caller sends uses this one rule.
 */
export const pastInstant = z.iso.datetime({ offset: true })
  .refine((value) => Date.parse(value) >= EARLIEST, 'must not be before 1900')
  .refine((value) => Date.parse(value) <= Date.now() + MAX_CLOCK_SKEW_MS, 'must not be in the future (more than 5 minutes of clock skew)');
