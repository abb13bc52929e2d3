/**
 * Runs a provider sink as its own process (the SendGrid and Twilio sinks' `npm run …` entry points):
 * SINK_PORT (default `defaultPort`) and SINK_HOST (default 127.0.0.1; 0.0.0.0 inside a container),
 * stopped cleanly on SIGINT/SIGTERM; any start-up error exits 1.
 */
export function runSinkProcess(defaultPort: number, start: (port: number, host: string) => Promise<{ url: string; stop(): Promise<void> }>,
  describe: (url: string, host: string) => string): void {
  const main = async () => {
    const port = Number(process.env.SINK_PORT || defaultPort);
    const host = process.env.SINK_HOST || '127.0.0.1';
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`SINK_PORT must be a port number, got ${process.env.SINK_PORT}`);
    const sink = await start(port, host);
    console.log(describe(sink.url, host));
    const shutdown = () => {
      sink.stop().then(() => process.exit(0), fail);
    };
    process.once('SIGINT', shutdown);
    process.once('SIGTERM', shutdown);
  };
  main().catch(fail);
}

function fail(error: unknown): void {
  console.error(error);
  process.exit(1);
}
