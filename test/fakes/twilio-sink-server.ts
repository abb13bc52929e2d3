import { TwilioSink } from './twilio-sink';

/**
 * `npm run twilio-sink`: the Twilio sink as a process, for the local stack and docker-compose.
 * SINK_PORT (default 3091), SINK_HOST (default 127.0.0.1; 0.0.0.0 inside a container), and the credentials
 * it accepts, TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN (the product's defaults when unset).
 */
async function main(): Promise<void> {
  const port = Number(process.env.SINK_PORT || 3091);
  const host = process.env.SINK_HOST || '127.0.0.1';
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`SINK_PORT must be a port number, got ${process.env.SINK_PORT}`);
  const sink = await TwilioSink.start({
    port, host, accountSid: process.env.TWILIO_ACCOUNT_SID || undefined, authToken: process.env.TWILIO_AUTH_TOKEN || undefined,
  });
  console.log(`Twilio sink listening on ${sink.url} (bound to ${host}); sent texts at ${sink.url}/__sink/messages`);
  const shutdown = () => {
    sink.stop().then(() => process.exit(0), (error: unknown) => {
      console.error(error);
      process.exit(1);
    });
  };
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
