import { TwilioSink } from './twilio-sink';
import { runSinkProcess } from './sink-process';

/**
 * `npm run twilio-sink`: the Twilio sink as a process, for the local stack and docker-compose.
 * SINK_PORT (default 3091), SINK_HOST (default 127.0.0.1; 0.0.0.0 inside a container), and the credentials
 * it accepts, TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN (the product's defaults when unset).
 */
runSinkProcess(3091, (port, host) => TwilioSink.start({
  port, host, accountSid: process.env.TWILIO_ACCOUNT_SID || undefined, authToken: process.env.TWILIO_AUTH_TOKEN || undefined,
}), (url, host) => `Twilio sink listening on ${url} (bound to ${host}); sent texts at ${url}/__sink/messages`);
