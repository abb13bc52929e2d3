import type { Logger as TemporalLogger, LogLevel as TemporalLogLevel, LogMetadata } from '@temporalio/common';
import pino, { type DestinationStream, type Level, type Logger } from 'pino';

/**
 * Structured JSON logs (pino) for the API and the worker, with donors' personal data and secrets kept out.
 * Two layers, because neither alone is enough:
 * - fields known to hold them are censored wherever a logged object carries them (pino `redact`);
 * - every finished line is scrubbed of anything shaped like an email address, an E.164 phone number, an
 *   API key, a provider secret or an unsubscribe token, so free text (a provider's error message, a
 *   database constraint's detail, a stack) cannot leak one either.
 * test/workflows/observability.test.ts greps the logs of a whole campaign arc for every donor's address.
 */

const PERSONAL_FIELDS = ['email', 'email_address', 'to_email', 'first_name', 'last_name', 'firstName', 'lastName', 'phone', 'phone_number'];
const SECRET_FIELDS = [
  'authorization', 'cookie', 'password', 'secret', 'apiKey', 'api_key',
  'SENDGRID_API_KEY', 'STRIPE_SECRET_KEY', 'STRIPE_WEBHOOK_SECRET', 'UNSUBSCRIBE_SIGNING_SECRET', 'DATABASE_URL', 'DATABASE_OWNER_URL',
];
const SECRET_HEADERS = ['authorization', 'cookie', '"stripe-signature"', '"x-twilio-email-event-webhook-signature"'];

/** Each field at the top level and one or two objects down, plus the request headers Fastify may log. */
export const REDACTED_PATHS = [
  ...[...PERSONAL_FIELDS, ...SECRET_FIELDS].flatMap((field) => [field, `*.${field}`, `*.*.${field}`]),
  ...SECRET_HEADERS.flatMap((header) => [`req.headers.${header}`, `headers.${header}`]),
];

/** [pattern, replacement]: what no log line may contain, whatever field or message it is in. */
const SCRUBBED: [RegExp, string][] = [
  // Also percent-encoded, as in a logged URL's query string.
  [/[A-Za-z0-9._%+-]+(?:@|%40)[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}/g, '[email]'],
  [/\+[1-9]\d{7,14}\b/g, '[phone]'],
  [/\b(?:sk|rk|pk)_(?:test|live)_[A-Za-z0-9]+/g, '[stripe key]'],
  [/\bwhsec_[A-Za-z0-9_]+/g, '[webhook secret]'],
  [/\bSG\.[A-Za-z0-9_.-]+/g, '[sendgrid key]'],
  [/\bt15_[A-Za-z0-9_-]+/g, '[api key]'],
  [/\/unsubscribe\/[^\s/?"]+/g, '/unsubscribe/[token]'],
  [/(postgres(?:ql)?:\/\/[^:/@\s"]+):[^@\s"]+@/g, '$1:[password]@'],
];

export function scrubLine(line: string): string {
  return SCRUBBED.reduce((text, [pattern, replacement]) => text.replace(pattern, replacement), line);
}

/** Writes each finished line to `destination` (stdout by default) after scrubLine. */
function scrubbing(destination: DestinationStream): DestinationStream {
  return { write: (line: string) => destination.write(scrubLine(line)) };
}

/**
 * The process's logger. `service` names the process in every line (`api`, `worker`); `destination` is
 * where lines go (tests capture them).
 */
export function createLogger(options: { level: Level | 'silent'; service: string; destination?: DestinationStream }): Logger {
  return pino({
    level: options.level,
    base: { service: options.service },
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
  }, scrubbing(options.destination ?? pino.destination(1)));
}

const TEMPORAL_LEVELS: Record<TemporalLogLevel, Level> = { TRACE: 'trace', DEBUG: 'debug', INFO: 'info', WARN: 'warn', ERROR: 'error' };

/** The Temporal SDK's logger interface (worker, workflow and activity logs, forwarded core logs) over pino. */
export function temporalLogger(logger: Logger): TemporalLogger {
  // pino serializes errors (message, stack) under `err` only.
  const log = (level: TemporalLogLevel, message: string, meta: LogMetadata = {}) => {
    const { error, ...rest } = meta;
    logger[TEMPORAL_LEVELS[level]](error === undefined ? rest : { ...rest, err: error }, message);
  };
  return {
    log,
    trace: (message, meta) => log('TRACE', message, meta),
    debug: (message, meta) => log('DEBUG', message, meta),
    info: (message, meta) => log('INFO', message, meta),
    warn: (message, meta) => log('WARN', message, meta),
    error: (message, meta) => log('ERROR', message, meta),
  };
}
