/**
 * Static checks of the deployment files: no Docker engine runs where tests run, so these
 * are what keeps docker-compose.yml, the Dockerfile, the nginx config and .env.example
 * honest against the code.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Ajv2019 } from 'ajv/dist/2019.js';
import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';
import { gatewayEnvSchema } from '../../apps/gateway/src/config.ts';
import { matcherEnvSchema } from '../../apps/matcher/src/config.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));
const read = (path: string) => readFileSync(join(root, path), 'utf8');

interface Healthcheck {
  test: string[];
}
interface Service {
  image?: string;
  build?: { context: string; dockerfile?: string; target?: string };
  environment?: Record<string, string>;
  expose?: string[];
  ports?: string[];
  healthcheck?: Healthcheck;
  init?: boolean;
  stop_grace_period?: string;
  deploy?: { replicas?: number };
  command?: string[];
  volumes?: string[];
  depends_on?: Record<string, { condition: string }>;
}
interface ComposeFile {
  services: Record<string, Service>;
  volumes?: Record<string, unknown>;
}

/** `.env.example` as compose reads `.env`: KEY=value lines, comments and blanks skipped. */
function parseEnvFile(text: string): Map<string, string> {
  const vars = new Map<string, string>();
  for (const line of text.split('\n')) {
    const match = /^([A-Z][A-Z0-9_]*)=(.*)$/.exec(line.trim());
    if (match) vars.set(match[1]!, match[2]!);
  }
  return vars;
}

const INTERPOLATION = /\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}/g;

/** Compose's variable interpolation (${VAR}, ${VAR:-default}, ${VAR:?error}) over every string. */
function interpolate(value: unknown, vars: Map<string, string>, used: Set<string>): unknown {
  if (typeof value === 'string') {
    return value.replace(INTERPOLATION, (_, name: string, operator: string | undefined, argument: string) => {
      used.add(name);
      const set = vars.get(name);
      const missing = operator?.startsWith(':') ? !set : set === undefined;
      if (operator?.endsWith('?') && missing) throw new Error(`${name}: ${argument}`);
      if (operator?.endsWith('-') && missing) return argument;
      return set ?? '';
    });
  }
  if (Array.isArray(value)) return value.map((item) => interpolate(item, vars, used));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, interpolate(item, vars, used)]));
  }
  return value;
}

const composeText = read('docker-compose.yml');
const rawCompose = parseYaml(composeText, { merge: true }) as unknown;
const envExample = parseEnvFile(read('.env.example'));
const usedVars = new Set<string>();
const compose = interpolate(rawCompose, envExample, usedVars) as ComposeFile;
const dockerfile = read('Dockerfile');
const nginx = read('deploy/nginx/default.conf');

const schemas: Record<string, z.ZodObject> = { gateway: gatewayEnvSchema, matcher: matcherEnvSchema };

function service(name: string): Service {
  const found = compose.services[name];
  assert.ok(found, `service ${name} exists`);
  return found;
}

/** `["CMD", "node", "-e", "fetch('http://127.0.0.1:8080/readyz')…"]` → the URL inside. */
function healthcheckUrl(check: Healthcheck | undefined): URL {
  assert.ok(check, 'has a healthcheck');
  const match = /https?:\/\/[^'"\s)]+/.exec(check.test.join(' '));
  assert.ok(match, `healthcheck ${check.test.join(' ')} names a URL`);
  return new URL(match[0]);
}

/**
 * The spec's schema still carries draft-04 `id` annotations (e.g. "#/properties/services"),
 * which Ajv refuses; they only name subschemas, so dropping them changes no rule. Keys named
 * `id` inside `properties` maps are property names and are kept.
 */
function withoutLegacyIds(node: unknown, inProperties = false): unknown {
  if (Array.isArray(node)) return node.map((item) => withoutLegacyIds(item));
  if (!node || typeof node !== 'object') return node;
  const entries = Object.entries(node).filter(([key, value]) => inProperties || key !== 'id' || typeof value !== 'string');
  return Object.fromEntries(entries.map(([key, value]) => [key, withoutLegacyIds(value, !inProperties && (key === 'properties' || key === 'patternProperties'))]));
}

describe('docker-compose.yml', () => {
  test('is valid against the Compose Specification schema', () => {
    const schema = withoutLegacyIds(JSON.parse(read('scripts/test/fixtures/compose-spec.json'))) as Record<string, unknown>;
    // The schema's own formats: Go durations ("30s", "1m30s"), and port/expose strings.
    const ajv = new Ajv2019({ strict: false, allErrors: true, validateSchema: false })
      .addFormat('duration', /^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$/)
      .addFormat('expose', /^\d+(-\d+)?(\/(tcp|udp))?$/)
      .addFormat('ports', /^[\w.:${}-]*\d+(-\d+)?(\/(tcp|udp))?$/)
      .addFormat('subnet_ip_address', () => true);
    const validate = ajv.compile(schema);
    const valid = validate(compose);
    assert.ok(valid, JSON.stringify(validate.errors, null, 2));
  });

  test('`docker compose config` accepts it, where a compose implementation is installed', (t) => {
    const probe = spawnSync('docker', ['compose', 'version'], { encoding: 'utf8' });
    if (probe.status !== 0) {
      t.skip('no `docker compose` here; the schema check above stands in for it');
      return;
    }
    const result = spawnSync('docker', ['compose', '--env-file', '.env.example', 'config', '--quiet'], { cwd: root, encoding: 'utf8' });
    assert.equal(result.status, 0, result.stderr);
  });

  test('runs redis (AOF, healthcheck, volume), the matcher, the gateway and nginx', () => {
    assert.deepEqual(Object.keys(compose.services).sort(), ['gateway', 'matcher', 'nginx', 'redis']);
    const redis = service('redis');
    assert.match(redis.image ?? '', /^redis:7/);
    assert.ok(redis.command?.join(' ').includes('--appendonly yes'), 'AOF on');
    assert.ok(redis.healthcheck?.test.join(' ').includes('ping'));
    const dataVolume = (redis.volumes ?? []).find((volume) => volume.endsWith(':/data'));
    assert.ok(dataVolume, 'redis keeps /data on a volume');
    assert.ok(compose.volumes && dataVolume.split(':')[0]! in compose.volumes, 'a named volume');
    for (const app of ['gateway', 'matcher']) {
      assert.equal(service(app).depends_on?.redis?.condition, 'service_healthy', `${app} waits for a healthy redis`);
      assert.match(service(app).environment?.REDIS_URL ?? '', /^redis:\/\/redis:6379$/);
    }
    assert.equal(service('matcher').deploy?.replicas, 2, 'matcher: active + standby');
  });

  test('every service it builds has its build context, Dockerfile and target', () => {
    for (const [name, svc] of Object.entries(compose.services)) {
      if (!svc.build) continue;
      const context = join(root, svc.build.context);
      assert.ok(existsSync(context), `${name}: context ${svc.build.context} exists`);
      const file = join(context, svc.build.dockerfile ?? 'Dockerfile');
      assert.ok(existsSync(file), `${name}: ${file} exists`);
      assert.ok(svc.build.target, `${name}: names a target`);
      assert.match(readFileSync(file, 'utf8'), new RegExp(`^FROM \\S+ AS ${svc.build.target}$`, 'm'), `${name}: target ${svc.build.target}`);
      assert.equal(svc.init, true, `${name}: init (tini) as PID 1 forwards signals`);
    }
  });

  test('every variable passed to an app is in its zod schema, and the example values parse', () => {
    for (const [name, schema] of Object.entries(schemas)) {
      const env = service(name).environment ?? {};
      const known = new Set(Object.keys(schema.shape));
      for (const key of Object.keys(env)) assert.ok(known.has(key), `${name}: ${key} is read by ${name}'s config`);
      // As parseEnv does: empty means unset (the code's default).
      const set = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== ''));
      const parsed = schema.safeParse(set);
      assert.ok(parsed.success, `${name}: ${JSON.stringify(parsed.error?.issues)}`);
    }
  });

  test('every ${VAR} it uses is documented in .env.example, and nothing documented is unused', () => {
    for (const name of usedVars) assert.ok(envExample.has(name), `${name} is in .env.example`);
    for (const name of envExample.keys()) assert.ok(usedVars.has(name), `${name} in .env.example is used by docker-compose.yml`);
    const salt = envExample.get('IP_HASH_SALT') ?? '';
    assert.ok(gatewayEnvSchema.shape.IP_HASH_SALT.safeParse(salt).success, 'the example salt is valid');
  });

  test('gateway: no fixed host port, healthcheck on /readyz at its PORT, a drain grace period', () => {
    const gateway = service('gateway');
    assert.equal(gateway.ports, undefined, 'no host port: scaled replicas would clash');
    const port = gateway.environment?.PORT;
    assert.ok(port);
    assert.deepEqual(gateway.expose, [port]);
    const url = healthcheckUrl(gateway.healthcheck);
    assert.equal(url.port, port);
    assert.equal(url.pathname, '/readyz');
    assert.match(gateway.stop_grace_period ?? '', /^(\d+)s$/);
    assert.ok(Number.parseInt(gateway.stop_grace_period!, 10) >= 10, 'at least the drain (up to a few seconds) plus margin');
  });

  test('matcher: healthcheck on /readyz at its METRICS_PORT', () => {
    const matcher = service('matcher');
    const port = matcher.environment?.METRICS_PORT;
    assert.ok(port);
    assert.deepEqual(matcher.expose, [port]);
    const url = healthcheckUrl(matcher.healthcheck);
    assert.equal(url.port, port);
    assert.equal(url.pathname, '/readyz');
    assert.equal(matcher.environment?.MATCHER_ID, undefined, 'replicas must not share a consumer name');
  });

  test('the paths healthchecks and nginx use are the ones the code serves', () => {
    const gatewaySource = read('apps/gateway/src/gateway.ts');
    for (const path of ['/healthz', '/readyz', '/metrics', '/ws']) assert.ok(gatewaySource.includes(`'${path}'`), `gateway serves ${path}`);
    assert.ok(read('apps/gateway/src/room/room.ts').includes("'/chat/'"), 'the room lives under /chat/');
    const matcherSource = read('packages/config/src/service/status.ts');
    for (const path of ['/healthz', '/readyz', '/metrics']) assert.ok(matcherSource.includes(`'${path}'`), `matcher serves ${path}`);
  });
});

describe('nginx', () => {
  test('is the single entry port and proxies WebSocket upgrades to every gateway replica', () => {
    const lb = service('nginx');
    assert.match(lb.image ?? '', /^nginx:/);
    assert.equal(lb.ports?.length, 1);
    const [, containerPort] = /:(\d+)$/.exec(lb.ports![0]!) ?? [];
    assert.match(nginx, new RegExp(`listen ${containerPort};`));
    for (const [name, svc] of Object.entries(compose.services)) if (name !== 'nginx') assert.equal(svc.ports, undefined, `${name} has no host port`);
    const mount = (lb.volumes ?? []).find((volume) => volume.includes('/etc/nginx/conf.d/'));
    assert.ok(mount && existsSync(join(root, mount.split(':')[0]!)), 'the mounted config exists');
    // Upstream = the gateway service at its PORT, resolved at request time through Docker DNS.
    const upstream = /set \$gateway http:\/\/([\w-]+):(\d+);/.exec(nginx);
    assert.ok(upstream, 'proxy target in a variable (re-resolved per request)');
    assert.equal(upstream[1], 'gateway');
    assert.equal(upstream[2], service('gateway').environment?.PORT);
    assert.match(nginx, /resolver 127\.0\.0\.11 valid=\d+s/);
    for (const location of ['location = /ws {', 'location /chat/ {']) {
      const block = nginx.slice(nginx.indexOf(location), nginx.indexOf('}', nginx.indexOf(location)));
      assert.ok(nginx.includes(location), `${location} exists`);
      assert.match(block, /proxy_pass \$gateway;/);
      assert.match(block, /proxy_set_header Upgrade \$http_upgrade;/);
      assert.match(block, /proxy_set_header Connection \$connection_upgrade;/);
      assert.match(block, /proxy_set_header X-Forwarded-For/);
    }
    assert.match(nginx, /map \$http_upgrade \$connection_upgrade/);
    assert.equal(healthcheckUrl(lb.healthcheck).pathname, '/lb-healthz');
    assert.match(nginx, /location = \/lb-healthz/);
  });
});

describe('Dockerfile', () => {
  test('multi-stage on node:20-slim, npm ci from the lockfile, production deps only, non-root, NODE_ENV=production', () => {
    assert.match(dockerfile, /^ARG NODE_IMAGE=node:20-slim$/m);
    assert.ok((dockerfile.match(/^FROM /gm) ?? []).length >= 3, 'multi-stage');
    assert.match(dockerfile, /COPY --from=manifests \/src \.\/\nRUN npm ci /, 'npm ci on the manifests and lockfile');
    assert.match(dockerfile, /npm prune --omit=dev/);
    assert.match(dockerfile, /^ENV NODE_ENV=production$/m);
    const runtime = dockerfile.slice(dockerfile.indexOf('AS runtime'));
    assert.match(runtime, /^USER node$/m, 'the runtime runs as the unprivileged node user');
    assert.doesNotMatch(runtime, /^USER root$/m);
  });

  test('each target runs its app with node as the signal receiver (exec form), on the port compose uses', () => {
    for (const [target, main, portVar] of [
      ['gateway', 'apps/gateway/dist/main.js', 'PORT'],
      ['matcher', 'apps/matcher/dist/main.js', 'METRICS_PORT'],
    ] as const) {
      const stage = dockerfile.slice(dockerfile.indexOf(`AS ${target}`)).split(/^FROM /m)[0]!;
      assert.match(stage, new RegExp(`^CMD \\["node", "${main.replace(/\./g, '\\.')}"\\]$`, 'm'), `${target}: exec-form CMD`);
      assert.ok(existsSync(join(root, main.replace('dist/main.js', 'src/main.ts'))), `${target}: its entry point's source exists`);
      const port = service(target).environment?.[portVar];
      assert.match(stage, new RegExp(`^EXPOSE ${port}$`, 'm'));
      assert.match(stage, new RegExp(`^ENV ${portVar}=${port}$`, 'm'));
    }
  });

  test('.dockerignore keeps installed and built files out of the context', () => {
    const ignored = read('.dockerignore').split('\n');
    for (const pattern of ['**/node_modules', '**/dist', '.git', '.env']) assert.ok(ignored.includes(pattern), `${pattern} ignored`);
    assert.ok(ignored.includes('!.env.example'));
  });
});

describe('npm start and compose describe the same topology', () => {
  test('same default gateway count, ports and service set', () => {
    const launcher = read('scripts/start-local.mjs');
    const gateways = Number(/integer\('GATEWAYS', (\d+)\)/.exec(launcher)?.[1]);
    assert.equal(gateways, service('gateway').deploy?.replicas, 'GATEWAYS default = gateway replicas');
    assert.equal(/integer\('PORT', (\d+)\)/.exec(launcher)?.[1], service('gateway').environment?.PORT);
    assert.equal(/integer\('METRICS_PORT', (\d+)\)/.exec(launcher)?.[1], service('matcher').environment?.METRICS_PORT);
    // Matchers: active + standby in both.
    assert.equal(/integer\('MATCHERS', (\d+)\)/.exec(launcher)?.[1], String(service('matcher').deploy?.replicas));
    assert.match(launcher, /redis-server/);
    assert.match(launcher, /apps\/matcher\/dist\/main\.js/);
    assert.match(launcher, /apps\/gateway\/dist\/main\.js/);
  });
});

describe('metrics docs', () => {
  test('every metric docs/deploying.md and the Grafana dashboard name is one the apps export', () => {
    const defined = new Set(
      [read('apps/gateway/src/metrics.ts'), read('apps/matcher/src/metrics.ts')].flatMap((source) =>
        [...source.matchAll(/'(strangers_\w+)'/g)].map((match) => match[1]!),
      ),
    );
    const dashboard = read('docs/grafana-dashboard.json');
    JSON.parse(dashboard);
    for (const text of [read('docs/deploying.md'), dashboard]) {
      for (const [name] of text.matchAll(/strangers_(gateway|matcher)_\w+/g)) {
        const base = name.replace(/_(bucket|count|sum)$/, '');
        assert.ok(defined.has(base), `${name} is exported`);
      }
    }
    for (const name of defined) assert.ok(read('docs/deploying.md').includes(name), `${name} is documented`);
  });
});
