import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Client } from 'pg';
import { freePort } from './ports';

const run = promisify(execFile);

/** The machine's PostgreSQL server binaries (Debian layout); PG_BIN overrides. */
const PG_BIN = process.env.PG_BIN ?? '/usr/lib/postgresql/15/bin';
/** The search attributes the campaign workflows set (as scripts/lib/stack.sh registers them). */
const SEARCH_ATTRIBUTES = ['CampaignId=Keyword', 'ClientId=Keyword', 'Track15Stage=Keyword', 'Track15Season=Keyword', 'CurrentStep=Int'];

/** PostgreSQL refuses to run as root: as root, its tools run as the postgres user. */
function asPostgres(command: string, args: string[]): [string, string[]] {
  return process.getuid?.() === 0 ? ['runuser', ['-u', 'postgres', '--', command, ...args]] : [command, args];
}

/**
 * A PostgreSQL cluster of the test's own (initdb into a temporary directory, its own port), so a test
 * can stop and start it like an outage without touching the shared server.
 */
export class PrivatePostgres {
  private constructor(private readonly dir: string, readonly port: number) {}

  static async start(): Promise<PrivatePostgres> {
    const dir = await mkdtemp(join(tmpdir(), 'track15-pg-'));
    if (process.getuid?.() === 0) await run('chown', ['postgres', dir]);
    const cluster = new PrivatePostgres(dir, await freePort());
    await run(...asPostgres(join(PG_BIN, 'initdb'), ['-D', cluster.dataDir, '-A', 'trust', '-U', 'postgres', '--no-sync']));
    await cluster.startServer();
    return cluster;
  }

  private get dataDir(): string { return join(this.dir, 'data'); }

  /** postgres://<role>@127.0.0.1:<port>/<database>; the app role with its password. */
  url(database: string, role: 'owner' | 'app'): string {
    const user = role === 'app' ? 'track15_app:track15_app' : 'postgres';
    return `postgres://${user}@127.0.0.1:${this.port}/${database}`;
  }

  async createDatabase(name: string): Promise<void> {
    const admin = new Client({ connectionString: this.url('postgres', 'owner') });
    await admin.connect();
    try { await admin.query(`create database "${name}"`); } finally { await admin.end(); }
  }

  /** Starts the server and waits until it accepts connections. */
  async startServer(): Promise<void> {
    await run(...asPostgres(join(PG_BIN, 'pg_ctl'), [
      '-D', this.dataDir, '-l', join(this.dir, 'server.log'), '-w',
      '-o', `-p ${this.port} -k ${this.dir} -c listen_addresses=127.0.0.1 -c fsync=off`, 'start',
    ]));
  }

  /** Stops the server the way a crash does (`pg_ctl stop -m immediate`): connections drop at once. */
  async crash(): Promise<void> {
    await run(...asPostgres(join(PG_BIN, 'pg_ctl'), ['-D', this.dataDir, '-m', 'immediate', '-w', 'stop']));
  }

  async destroy(): Promise<void> {
    await this.crash().catch(() => undefined);
    await rm(this.dir, { recursive: true, force: true });
  }
}

/**
 * A Temporal dev server of the test's own (`temporal server start-dev` on free ports, history in a
 * file), so a test can kill it and start it again on the same port and history.
 */
export class PrivateTemporal {
  private process: ChildProcess | null = null;

  private constructor(private readonly dir: string, readonly port: number, private readonly httpPort: number, private readonly metricsPort: number) {}

  static async start(): Promise<PrivateTemporal> {
    const dir = await mkdtemp(join(tmpdir(), 'track15-temporal-'));
    const server = new PrivateTemporal(dir, await freePort(), await freePort(), await freePort());
    await server.startServer();
    return server;
  }

  get address(): string { return `127.0.0.1:${this.port}`; }

  /** Starts the server and waits until its frontend accepts connections. */
  async startServer(): Promise<void> {
    const args = ['server', 'start-dev', '--ip', '127.0.0.1', '--port', String(this.port), '--http-port', String(this.httpPort),
      '--metrics-port', String(this.metricsPort), '--headless', '--log-level', 'error', '--db-filename', join(this.dir, 'temporal.db'),
      ...SEARCH_ATTRIBUTES.flatMap((attribute) => ['--search-attribute', attribute])];
    this.process = spawn('temporal', args, { stdio: 'ignore' });
    for (let waited = 0; ; waited += 200) {
      if (await accepts(this.port)) return;
      if (waited > 60_000 || this.process.exitCode !== null) throw new Error(`temporal dev server did not start on ${this.port}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }

  /** Kills the server (SIGKILL, as a crash); its history file stays for the next start. */
  async kill(): Promise<void> {
    const child = this.process;
    this.process = null;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
  }

  async destroy(): Promise<void> {
    await this.kill();
    await rm(this.dir, { recursive: true, force: true });
  }
}

async function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => { socket.destroy(); resolve(true); });
    socket.once('error', () => resolve(false));
  });
}
