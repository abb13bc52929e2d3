import { SendGridSink } from './sendgrid-sink';

/**
 * `npm run sink`: the SendGrid sink as a process, for the local stack, benchmarks and docker-compose.
 * SINK_PORT (default 3090) and SINK_HOST (default 127.0.0.1; 0.0.0.0 inside a container).
 */
async function main(): Promise<void> {
  const port = Number(process.env.SINK_PORT || 3090);
  const host = process.env.SINK_HOST || '127.0.0.1';
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`SINK_PORT must be a port number, got ${process.env.SINK_PORT}`);
  const sink = await SendGridSink.start({ port, host });
  console.log(`SendGrid sink listening on ${sink.url} (bound to ${host}); sent mail at ${sink.url}/__sink/deliveries`);
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
