import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parse } from 'yaml';
import { describeConfig, loadConfig } from '../domain/config';

/**
 * No Docker engine runs where the tests run, so docker-compose.yml is checked statically against the
 * sources it must agree with: domain/config.ts (every setting that defaults to the loopback is pointed
 * at a service), the services' ports, scripts/lib/stack.sh (search attributes) and package.json.
 */

const ROOT = join(__dirname, '..');
const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');

type Environment = Record<string, string | number | boolean | null> | string[];
type PortSpec = string | number | { target: number; published?: string | number };
interface Service {
  image?: string;
  build?: unknown;
  entrypoint?: string | string[];
  command?: string | string[];
  environment?: Environment;
  ports?: PortSpec[];
  expose?: (string | number)[];
  volumes?: (string | { type: string; source?: string })[];
  healthcheck?: unknown;
  depends_on?: string[] | Record<string, { condition?: string }>;
}

const compose = parse(read('docker-compose.yml'), { merge: true }) as { services: Record<string, Service> };
const services = compose.services;

/** The ports the images listen on inside their containers (the sink's comes from SINK_PORT). */
const IMAGE_PORTS: [prefix: string, port: number][] = [
  ['postgres:', 5432],
  ['temporalio/server:', 7233],
  ['stripe/stripe-mock:', 12111],
];

const APP_SERVICES = ['worker', 'api', 'migrate'];
/** Settings that name a service, and the scheme-less form TEMPORAL_ADDRESS takes. */
const SERVICE_ADDRESSES = ['DATABASE_URL', 'DATABASE_OWNER_URL', 'TEMPORAL_ADDRESS', 'SENDGRID_BASE_URL', 'STRIPE_API_BASE', 'TWILIO_API_BASE'];
/** Browsers and donors, not containers, follow this one, so it names the host's published API port. */
const PUBLIC_ADDRESS = 'PUBLIC_BASE_URL';
const LOOPBACK = /\b(127\.0\.0\.1|localhost)\b/;
/** Read only by the process that binds it (the worker proxies its SDK exporter), so loopback is right in a container too. */
const PROCESS_LOCAL = ['TEMPORAL_SDK_METRICS_ADDRESS'];

function service(name: string): Service {
  const found = services[name];
  if (!found) throw new Error(`docker-compose.yml has no service ${name}`);
  return found;
}

function environmentOf(name: string): Record<string, string> {
  const environment = service(name).environment ?? {};
  const entries = Array.isArray(environment)
    ? environment.map((item) => [item.slice(0, item.indexOf('=')), item.slice(item.indexOf('=') + 1)])
    : Object.entries(environment).map(([key, value]) => [key, value === null ? '' : String(value)]);
  return Object.fromEntries(entries);
}

/** `[ip:]host:container[/protocol]`, a bare container port, or the long syntax. */
function portMappings(name: string): { host: number | null; container: number }[] {
  return (service(name).ports ?? []).map((spec) => {
    if (typeof spec === 'object') return { host: spec.published === undefined ? null : Number(spec.published), container: spec.target };
    const parts = String(spec).replace(/\/\w+$/, '').split(':');
    return { host: parts.length > 1 ? Number(parts[parts.length - 2]) : null, container: Number(parts[parts.length - 1]) };
  });
}

function containerPorts(name: string): number[] {
  return [...portMappings(name).map((m) => m.container), ...(service(name).expose ?? []).map(Number)];
}

/** The port the service's process listens on inside its container. */
function listeningPort(name: string): number {
  if (name === 'sendgrid-sink' || name === 'twilio-sink') return Number(environmentOf(name).SINK_PORT);
  const image = service(name).image ?? '';
  const known = IMAGE_PORTS.find(([prefix]) => image.startsWith(prefix));
  if (!known) throw new Error(`no known port for service ${name} (image ${image})`);
  return known[1];
}

function commandOf(name: string): string {
  const { entrypoint = [], command = [] } = service(name);
  return [entrypoint, command].flat().join(' ');
}

function dependencies(name: string): Record<string, string> {
  const dependsOn = service(name).depends_on ?? {};
  return Array.isArray(dependsOn)
    ? Object.fromEntries(dependsOn.map((dependency) => [dependency, 'service_started']))
    : Object.fromEntries(Object.entries(dependsOn).map(([dependency, { condition }]) => [dependency, condition ?? 'service_started']));
}

function addressOf(value: string): URL {
  return new URL(value.includes('://') ? value : `tcp://${value}`);
}

describe('docker-compose.yml', () => {
  describe.each(APP_SERVICES)('the %s service', (name) => {
    const environment = () => environmentOf(name);

    it('passes the configuration schema', () => {
      expect(() => loadConfig(environment())).not.toThrow();
    });

    it('sets every setting whose default points at the loopback, and leaves none pointing there', () => {
      const loopbackDefaults = describeConfig().filter((v) => LOOPBACK.test(v.defaultValue) && !PROCESS_LOCAL.includes(v.name)).map((v) => v.name);
      expect(loopbackDefaults).toEqual(expect.arrayContaining([...SERVICE_ADDRESSES, PUBLIC_ADDRESS, 'API_HOST', 'METRICS_HOST']));
      expect(loopbackDefaults.filter((variable) => !environment()[variable])).toEqual([]);
      const stillLoopback = Object.entries(environment()).filter(([variable, value]) => variable !== PUBLIC_ADDRESS && LOOPBACK.test(value));
      expect(stillLoopback).toEqual([]);
    });

    it('listens on every interface of its container', () => {
      expect(loadConfig(environment()).API_HOST).toBe('0.0.0.0');
    });

    it.each(SERVICE_ADDRESSES)('points %s at a service of this file, on the port that service listens on', (variable) => {
      const address = addressOf(environment()[variable]);
      const target = address.hostname;
      expect(Object.keys(services)).toContain(target);
      expect(Number(address.port)).toBe(listeningPort(target));
      expect(containerPorts(target)).toContain(listeningPort(target));
    });

    it('uses the PostgreSQL service\'s owner credentials and database for migrations', () => {
      const postgres = environmentOf('postgres');
      const owner = addressOf(environment().DATABASE_OWNER_URL);
      expect([owner.username, owner.password, owner.pathname]).toEqual([postgres.POSTGRES_USER, postgres.POSTGRES_PASSWORD, `/${postgres.POSTGRES_DB}`]);
      expect(addressOf(environment().DATABASE_URL).pathname).toBe(`/${postgres.POSTGRES_DB}`);
    });

    it('runs an entry point the build compiles, with node (no TypeScript at run time)', () => {
      const entry = /^node dist\/(\S+)\.js\b/.exec(commandOf(name))?.[1];
      expect(entry).toBeDefined();
      expect(existsSync(join(ROOT, `${entry}.ts`))).toBe(true);
      const included = (JSON.parse(read('tsconfig.build.json')) as { include: string[] }).include;
      expect(included).toContain(entry!.split('/')[0]);
    });
  });

  it('publishes the API on the port it listens on, and PUBLIC_BASE_URL names the published port', () => {
    const config = loadConfig(environmentOf('api'));
    const mapping = portMappings('api').find((m) => m.container === config.API_PORT);
    expect(mapping).toBeDefined();
    expect(Number(new URL(config.PUBLIC_BASE_URL).port || 80)).toBe(mapping!.host);
  });

  it.each(['sendgrid-sink', 'twilio-sink'])('runs the %s from the project on every interface of its container, published', (name) => {
    const sink = environmentOf(name);
    expect(commandOf(name)).toMatch(new RegExp(`\\btest/fakes/${name}-server\\.ts\\b`));
    expect(existsSync(join(ROOT, `test/fakes/${name}-server.ts`))).toBe(true);
    expect(sink.SINK_HOST).toBe('0.0.0.0');
    expect(portMappings(name)).toContainEqual({ host: Number(sink.SINK_PORT), container: Number(sink.SINK_PORT) });
  });

  it('registers exactly the search attributes scripts/lib/stack.sh gives the dev server', () => {
    const declared = /^SEARCH_ATTRIBUTES=\(([^)]*)\)/m.exec(read('scripts/lib/stack.sh'))?.[1];
    expect(declared).toBeDefined();
    const inStack = declared!.trim().split(/\s+/).map((pair) => pair.replace('=', ' '));
    const command = commandOf('temporal-setup');
    const inCompose = [...command.matchAll(/--name\s+(\S+)\s+--type\s+(\S+)/g)].map(([, attribute, type]) => `${attribute} ${type}`);
    expect(inCompose.sort()).toEqual(inStack.sort());
    expect(command).toMatch(/temporal operator search-attribute create/);
    expect(command).toContain(`--address ${environmentOf('worker').TEMPORAL_ADDRESS}`);
  });

  it('points the Temporal UI and Temporal\'s own database at the services of this file', () => {
    expect(environmentOf('temporal-ui').TEMPORAL_ADDRESS).toBe(environmentOf('worker').TEMPORAL_ADDRESS);
    const temporal = environmentOf('temporal');
    const postgres = environmentOf('postgres');
    expect(temporal.DB).toBe('postgres12');
    expect(Object.keys(services)).toContain(temporal.POSTGRES_SEEDS);
    expect(Number(temporal.DB_PORT)).toBe(listeningPort(temporal.POSTGRES_SEEDS));
    expect([temporal.POSTGRES_USER, temporal.POSTGRES_PWD]).toEqual([postgres.POSTGRES_USER, postgres.POSTGRES_PASSWORD]);
  });

  it('starts services only once what they need is ready', () => {
    for (const name of Object.keys(services)) {
      for (const dependency of Object.keys(dependencies(name))) expect(Object.keys(services)).toContain(dependency);
    }
    expect(service('postgres').healthcheck).toBeDefined();
    expect(dependencies('temporal')).toMatchObject({ postgres: 'service_healthy' });
    expect(dependencies('migrate')).toMatchObject({ postgres: 'service_healthy' });
    for (const name of ['worker', 'api']) {
      expect(dependencies(name)).toMatchObject({ migrate: 'service_completed_successfully', 'temporal-setup': 'service_completed_successfully' });
    }
    expect(Object.keys(dependencies('worker'))).toEqual(expect.arrayContaining(['sendgrid-sink', 'stripe-mock']));
  });

  it('bind-mounts only files that exist, including Temporal\'s dynamic config', () => {
    for (const [name, { volumes = [] }] of Object.entries(services)) {
      for (const volume of volumes) {
        const source = typeof volume === 'string' ? volume.split(':')[0] : volume.source ?? '';
        if (source.startsWith('.')) expect({ name, source, exists: existsSync(resolve(ROOT, source)) }).toEqual({ name, source, exists: true });
      }
    }
    const dynamicConfig = environmentOf('temporal').DYNAMIC_CONFIG_FILE_PATH;
    const mount = (service('temporal').volumes ?? []).map(String).find((v) => v.includes(':/etc/temporal/config/dynamicconfig'));
    expect(mount).toBeDefined();
    const file = join(ROOT, mount!.split(':')[0], dynamicConfig.replace(/^config\/dynamicconfig\//, ''));
    expect(existsSync(file)).toBe(true);
  });

  it('builds the production image the Dockerfile describes: compiled, bundled, production dependencies, unprivileged', () => {
    const dockerfile = read('Dockerfile');
    const [build, run] = dockerfile.split(/^FROM /m).slice(1);
    // One Node major everywhere: package.json engines, the binary the scripts fetch, the image.
    const major = /^>=(\d+)$/.exec(JSON.parse(read('package.json')).engines.node)?.[1];
    expect(read('scripts/lib/stack.sh')).toMatch(new RegExp(`^NODE_VERSION=${major}\\.\\d+\\.\\d+$`, 'm'));
    expect(build).toMatch(new RegExp(`^node:${major}-bookworm-slim AS build$`, 'm'));
    expect(run).toMatch(new RegExp(`^node:${major}-bookworm-slim$`, 'm'));
    expect(build).toMatch(/^RUN npm ci\b/m);
    expect(build).toMatch(/^RUN npm run build$/m);
    expect((JSON.parse(read('package.json')) as { scripts: Record<string, string> }).scripts.build).toMatch(/\bnode dist\/scripts\/bundle-workflows\.js\b/);
    expect(run).toMatch(/^RUN npm ci --omit=dev\b/m);
    expect(run).toMatch(/^COPY --from=build \/app\/dist \.\/dist$/m);
    expect(run).toMatch(/^USER node$/m);
    expect(run).toMatch(/^HEALTHCHECK .*CMD \["node", "dist\/scripts\/healthcheck\.js", "api"\]$/m);
    expect(run).toMatch(/^CMD \["node", "dist\/api\/server\.js"\]$/m);
    for (const name of [...APP_SERVICES, 'sendgrid-sink']) expect(service(name).build).toBeDefined();
    // The SendGrid sink is a test double: it runs from the build stage, never from the production image.
    expect(service('sendgrid-sink').build).toMatchObject({ target: 'build' });
  });

  it('checks the health of the API and the worker with the image\'s own check, per process', () => {
    for (const name of ['api', 'worker']) {
      expect((service(name).healthcheck as { test: string[] }).test).toEqual(['CMD', 'node', 'dist/scripts/healthcheck.js', name]);
    }
  });

  it('runs Temporal on temporalio/server, its schema set up by temporalio/admin-tools, then the namespace and search attributes', () => {
    expect(service('temporal').image).toMatch(/^temporalio\/server:\d+\.\d+\.\d+$/);
    expect(Object.values(services).map((s) => s.image ?? '')).not.toContainEqual(expect.stringContaining('auto-setup'));
    const schema = commandOf('temporal-schema');
    expect(service('temporal-schema').image).toMatch(/^temporalio\/admin-tools:/);
    for (const db of ['temporal', 'temporal_visibility']) expect(schema).toContain(`/etc/temporal/schema/postgresql/v12/${db === 'temporal' ? 'temporal' : 'visibility'}/versioned`);
    expect(dependencies('temporal')).toMatchObject({ 'temporal-schema': 'service_completed_successfully' });
    expect(dependencies('temporal-setup')).toMatchObject({ temporal: 'service_healthy' });
    const namespace = loadConfig(environmentOf('worker')).TEMPORAL_NAMESPACE;
    expect(commandOf('temporal-setup')).toMatch(new RegExp(`namespace create --address \\S+ --namespace ${namespace}\\b`));
    expect(service('temporal').healthcheck).toBeDefined();
  });
});
