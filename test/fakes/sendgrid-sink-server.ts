import { SendGridSink } from './sendgrid-sink';
import { runSinkProcess } from './sink-process';

/**
 * `npm run sink`: the SendGrid sink as a process, for the local stack, benchmarks and docker-compose.
 * SINK_PORT (default 3090) and SINK_HOST (default 127.0.0.1; 0.0.0.0 inside a container).
 */
runSinkProcess(3090, (port, host) => SendGridSink.start({ port, host }),
  (url, host) => `SendGrid sink listening on ${url} (bound to ${host}); sent mail at ${url}/__sink/deliveries`);
