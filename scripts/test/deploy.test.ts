/**
 * Static checks of the deployment files: no Docker engine runs where tests run, so these
 * are what keeps docker-compose.yml, the Dockerfile, the nginx config and .env.example
 * honest against the code.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Ajv2019 } from 'ajv/dist/2019.js';
import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';
import { gatewayEnvSchema } from '../../apps/gateway/src/config.ts';
import { matcherEnvSchema } from '../../apps/matcher/src/config.ts';
import { moderationEnvSchema } from '../../apps/moderation/src/config.ts';
import { mediaEnvSchema } from '../../packages/media/src/config.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));
const read = (path: string) => readFileSync(join(root, path), 'utf8');

interface Healthcheck {
  test: string[];
}
interface Service {
  image?: string;
  env_file?: string | (string | { path: string; required?: boolean })[];
  logging?: { driver?: string; options?: Record<string, string> };
  ulimits?: Record<string, { soft: number; hard: number } | number>;
  networks?: Record<string, { ipv4_address?: string } | null>;
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
  networks?: Record<string, { ipam?: { config?: { subnet?: string; ip_range?: string }[] } }>;
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

/** The KEY= lines of one `# --- Name ---` section of .env.example. */
function envSection(text: string, name: string): Set<string> {
  const start = text.indexOf(`# --- ${name} `);
  assert.ok(start >= 0, `.env.example has a "${name}" section`);
  const end = text.indexOf('# --- ', start + 6);
  return new Set(parseEnvFile(text.slice(start, end < 0 ? undefined : end)).keys());
}

const VARIABLE = /^\$\{([A-Za-z_][A-Za-z0-9_]*)(:?[-?])?/;

/**
 * Compose's variable interpolation over one string: ${VAR}, ${VAR:-default}, ${VAR:?error},
 * with nested variables in the default (${A:-x${B}y}), as compose allows.
 */
function interpolateString(text: string, vars: Map<string, string>, used: Set<string>): string {
  let out = '';
  let index = 0;
  while (index < text.length) {
    const match = text[index] === '$' ? VARIABLE.exec(text.slice(index)) : null;
    if (!match) {
      out += text[index];
      index += 1;
      continue;
    }
    const [head, name, operator] = match as unknown as [string, string, string | undefined];
    // The argument runs to the matching brace, nested ${…} included.
    let depth = 1;
    let end = index + head.length;
    for (; end < text.length && depth > 0; end += 1) {
      if (text.startsWith('${', end)) depth += 1;
      else if (text[end] === '}') depth -= 1;
    }
    assert.equal(depth, 0, `unclosed \${ in ${text}`);
    const argument = text.slice(index + head.length, end - 1);
    used.add(name);
    const set = vars.get(name);
    const missing = operator?.startsWith(':') ? !set : set === undefined;
    if (operator?.endsWith('?') && missing) throw new Error(`${name}: ${argument}`);
    out += operator?.endsWith('-') && missing ? interpolateString(argument, vars, used) : (set ?? '');
    index = end;
  }
  return out;
}

/** Compose's variable interpolation over every string of the file. */
function interpolate(value: unknown, vars: Map<string, string>, used: Set<string>): unknown {
  if (typeof value === 'string') return interpolateString(value, vars, used);
  if (Array.isArray(value)) return value.map((item) => interpolate(item, vars, used));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, interpolate(item, vars, used)]));
  }
  return value;
}

const composeText = read('docker-compose.yml');
const rawCompose = parseYaml(composeText, { merge: true }) as unknown;
const envExampleText = read('.env.example');
const envExample = parseEnvFile(envExampleText);
/** What an operator does first: `cp .env.example .env`, then set a salt, a TURN secret and the TURN address. */
const operatorSecrets: [string, string][] = [
  ['IP_HASH_SALT', randomBytes(32).toString('hex')],
  ['TURN_SECRET', randomBytes(32).toString('base64')],
  ['TURN_EXTERNAL_IP', '203.0.113.7'],
];
const operatorEnv = new Map([...envExample, ...operatorSecrets]);
const usedVars = new Set<string>();
const compose = interpolate(rawCompose, operatorEnv, usedVars) as ComposeFile;
const dockerfile = read('Dockerfile');
const nginxFile = read('deploy/nginx/nginx.conf');

/** Each app's env schemas: the gateway also reads the media settings (packages/media). */
const schemaLists: Record<string, z.ZodObject[]> = { gateway: [gatewayEnvSchema, mediaEnvSchema], matcher: [matcherEnvSchema], moderation: [moderationEnvSchema] };
/** Every variable each app reads. */
const schemas = Object.fromEntries(
  Object.entries(schemaLists).map(([name, list]) => [name, { shape: Object.assign({}, ...list.map((schema) => schema.shape)) as Record<string, unknown> }]),
);

function service(name: string): Service {
  const found = compose.services[name];
  assert.ok(found, `service ${name} exists`);
  return found;
}

/** Never set by compose: each replica takes a random, unique id. */
const LEFT_UNSET = new Set(['GATEWAY_ID', 'MATCHER_ID']);

function rawService(name: string): Service {
  return (rawCompose as ComposeFile).services[name]!;
}

function readsDotEnv(svc: Service): boolean {
  const files = typeof svc.env_file === 'string' ? [svc.env_file] : (svc.env_file ?? []);
  return files.some((file) => (typeof file === 'string' ? file === '.env' : file.path === '.env' && file.required === false));
}

/** What an app container gets: `.env` through env_file, then `environment:` over it. */
function containerEnv(name: string): Record<string, string> {
  const svc = service(name);
  return { ...(readsDotEnv(svc) ? Object.fromEntries(operatorEnv) : {}), ...(svc.environment ?? {}) };
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

  test('runs redis (AOF, healthcheck, volume), the matcher, the gateway, the moderation service, nginx and coturn', () => {
    assert.deepEqual(Object.keys(compose.services).sort(), ['coturn', 'gateway', 'matcher', 'moderation', 'nginx', 'redis']);
    const redis = service('redis');
    assert.match(redis.image ?? '', /^redis:7/);
    assert.ok(redis.command?.join(' ').includes('--appendonly yes'), 'AOF on');
    assert.ok(redis.healthcheck?.test.join(' ').includes('ping'));
    const dataVolume = (redis.volumes ?? []).find((volume) => volume.endsWith(':/data'));
    assert.ok(dataVolume, 'redis keeps /data on a volume');
    assert.ok(compose.volumes && dataVolume.split(':')[0]! in compose.volumes, 'a named volume');
    for (const app of ['gateway', 'matcher', 'moderation']) {
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

  test('every setting the apps read is documented in .env.example and reaches its service', () => {
    for (const [name, schema] of Object.entries(schemas)) {
      const svc = service(name);
      assert.ok(readsDotEnv(svc), `${name}: env_file .env (optional), so every setting in .env reaches it`);
      const env = containerEnv(name);
      for (const key of Object.keys(schema.shape)) {
        assert.match(envExampleText, new RegExp(`\\b${key}\\b`), `${name}: ${key} is documented in .env.example`);
        if (LEFT_UNSET.has(key)) assert.equal(env[key], undefined, `${name}: ${key} left unset (each replica picks its own)`);
        else assert.ok(key in env, `${name}: ${key} reaches the container (env_file or environment)`);
      }
    }
  });

  test('every variable compose or .env.example sets is read by a schema (or by compose itself)', () => {
    const readBySomeApp = new Set(Object.values(schemas).flatMap((schema) => Object.keys(schema.shape)));
    const composeOnly = envSection(envExampleText, 'Compose');
    for (const key of envExample.keys()) {
      if (composeOnly.has(key)) {
        assert.ok(usedVars.has(key), `${key} (Compose section) is used by docker-compose.yml`);
        assert.ok(!readBySomeApp.has(key), `${key} is read by an app: move it out of the Compose section`);
      } else {
        assert.ok(readBySomeApp.has(key), `${key} in .env.example is read by the gateway, the matcher or the moderation service`);
      }
    }
    for (const key of usedVars) assert.ok(envExample.has(key), `\${${key}} in docker-compose.yml is in .env.example`);
    for (const [name, schema] of Object.entries(schemas)) {
      const raw = rawService(name).environment ?? {};
      for (const [key, value] of Object.entries(raw)) {
        assert.ok(key in schema.shape, `${name}: ${key} is read by ${name}'s config`);
        // A value compose fixes must not also be offered in .env, where it would silently lose.
        if (envExample.has(key)) assert.ok(String(value).includes(`\${${key}`), `${name}: ${key} in .env.example is overridden by compose`);
      }
    }
  });

  test('with the example values and a salt, both apps accept their environment', () => {
    for (const [name, list] of Object.entries(schemaLists)) {
      for (const schema of list) {
        // As parseEnv does: empty means unset (the code's default).
        const set = Object.fromEntries(Object.entries(containerEnv(name)).filter(([key, value]) => value !== '' && key in schema.shape));
        const parsed = schema.safeParse(set);
        assert.ok(parsed.success, `${name}: ${JSON.stringify(parsed.error?.issues)}`);
      }
    }
  });

  test('without IP_HASH_SALT, TURN_SECRET or TURN_EXTERNAL_IP in .env compose refuses to start (no default secret)', () => {
    for (const [name] of operatorSecrets) {
      assert.equal(envExample.get(name), '', `the example ships no ${name} to copy`);
      const without = new Map([...operatorEnv].filter(([key]) => key !== name));
      assert.throws(() => interpolate(rawCompose, new Map([...without, [name, '']]), new Set()), new RegExp(`^Error: ${name}:`));
    }
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

  test('moderation: healthcheck on /readyz at its MODERATION_PORT, appeal links on the entry port, bans keyed like the gateways', () => {
    const moderation = service('moderation');
    const port = moderation.environment?.MODERATION_PORT;
    assert.ok(port);
    assert.deepEqual(moderation.expose, [port]);
    const url = healthcheckUrl(moderation.healthcheck);
    assert.equal(url.port, port);
    assert.equal(url.pathname, '/readyz');
    const [entryPort] = service('nginx').ports![0]!.split(':');
    assert.equal(new URL(moderation.environment?.PUBLIC_URL ?? '').port, entryPort);
    assert.equal(moderation.environment?.IP_HASH_SALT, service('gateway').environment?.IP_HASH_SALT);
    assert.equal(moderation.environment?.TRUST_PROXY, service('nginx').networks?.default?.ipv4_address);
    // nginx routes /appeal/ to it, at that port.
    assert.match(nginxFile, new RegExp(`set \\$moderation http://moderation:${port};`));
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
    // The status routes (`/healthz`, `/readyz`, `/metrics`) are packages/config's, checked below.
    assert.ok(gatewaySource.includes('statusRoutes('), 'gateway serves the status routes');
    assert.ok(gatewaySource.includes("'/ws'"), 'gateway serves /ws');
    assert.ok(read('apps/gateway/src/room/room.ts').includes("'/chat/'"), 'the room lives under /chat/');
    const matcherSource = read('packages/config/src/service/status.ts');
    for (const path of ['/healthz', '/readyz', '/metrics']) assert.ok(matcherSource.includes(`'${path}'`), `matcher serves ${path}`);
  });
});

describe('nginx', () => {
  // Directives only: comments may name what the config avoids.
  const nginx = nginxFile.replace(/#.*$/gm, '');
  /** The body of the first block opened by `opening` (braces balanced). */
  function block(opening: string): string {
    const start = nginx.indexOf(opening);
    assert.ok(start >= 0, `${opening} exists`);
    let depth = 0;
    for (let index = nginx.indexOf('{', start); index < nginx.length; index += 1) {
      if (nginx[index] === '{') depth += 1;
      if (nginx[index] === '}' && --depth === 0) return nginx.slice(start, index + 1);
    }
    throw new Error(`${opening} is not closed`);
  }
  const directive = (name: string) => Number(new RegExp(`^\\s*${name} (\\d+);`, 'm').exec(nginx)?.[1]);

  test('is the single HTTP entry port (coturn publishes only its TURN ports) and proxies WebSocket upgrades to every gateway replica', () => {
    const lb = service('nginx');
    assert.match(lb.image ?? '', /^nginx:/);
    assert.equal(lb.ports?.length, 1);
    const [, containerPort] = /:(\d+)$/.exec(lb.ports![0]!) ?? [];
    assert.match(nginx, new RegExp(`listen ${containerPort};`));
    // coturn's ports are checked against its config below: browsers reach TURN directly.
    for (const [name, svc] of Object.entries(compose.services)) {
      if (name === 'nginx' || name === 'coturn') continue;
      // The moderation console and API: on the host's loopback only, never a public port.
      if (name === 'moderation') assert.ok(svc.ports?.every((port) => port.startsWith('127.0.0.1:')), `moderation binds loopback only: ${svc.ports?.join(', ')}`);
      else assert.equal(svc.ports, undefined, `${name} has no host port`);
    }
    // Upstream = the gateway service at its PORT, resolved at request time through Docker DNS.
    const upstream = /set \$gateway http:\/\/([\w-]+):(\d+);/.exec(nginx);
    assert.ok(upstream, 'proxy target in a variable (re-resolved per request)');
    assert.equal(upstream[1], 'gateway');
    assert.equal(upstream[2], service('gateway').environment?.PORT);
    assert.match(nginx, /resolver 127\.0\.0\.11 valid=\d+s/);
    const server = block('server {');
    assert.match(server, /proxy_set_header Upgrade \$http_upgrade;/);
    assert.match(server, /proxy_set_header Connection \$connection_upgrade;/);
    for (const location of ['location = /ws {', 'location /chat/ {']) {
      const body = block(location);
      assert.match(body, /proxy_pass \$gateway;/);
      assert.match(body, /proxy_read_timeout (\d+h|[1-9]\d{3,}s);/, `${location}: long-lived sockets`);
    }
    assert.match(nginx, /map \$http_upgrade \$connection_upgrade/);
    assert.equal(healthcheckUrl(lb.healthcheck).pathname, '/lb-healthz');
    assert.match(nginx, /location = \/lb-healthz/);
  });

  test('compose mounts the whole config (nginx.conf), not only a server block', () => {
    const mounts = service('nginx').volumes ?? [];
    assert.ok(mounts.includes('./deploy/nginx/nginx.conf:/etc/nginx/nginx.conf:ro'), mounts.join(', '));
    assert.ok(!mounts.some((mount) => mount.includes('/etc/nginx/conf.d')), 'no conf.d mount beside it');
    assert.doesNotMatch(nginx, /^\s*include\s+\/etc\/nginx\/conf\.d/m, "the image's default server is not pulled in");
  });

  test('is sized for tens of thousands of WebSockets', () => {
    const connections = directive('worker_connections');
    const files = directive('worker_rlimit_nofile');
    assert.ok(connections >= 32_768, `worker_connections ${connections}`);
    assert.ok(files >= 2 * connections, 'two descriptors per proxied socket');
    const nofile = service('nginx').ulimits?.nofile;
    assert.ok(nofile && typeof nofile === 'object' && nofile.soft >= files, "the container's nofile limit allows worker_rlimit_nofile");
    const gatewayFiles = service('gateway').ulimits?.nofile;
    assert.ok(gatewayFiles && typeof gatewayFiles === 'object' && gatewayFiles.soft > Number(gatewayEnvSchema.shape.MAX_CONNECTIONS.parse(undefined)), 'gateway: room for MAX_CONNECTIONS sockets');
  });

  test('sets X-Forwarded-For from the peer address, never appending the client-supplied header', () => {
    assert.doesNotMatch(nginx, /\$proxy_add_x_forwarded_for/);
    assert.match(block('server {'), /proxy_set_header X-Forwarded-For \$remote_addr;/);
    // A location with proxy_set_header of its own would drop the server's list, that line included.
    for (const [location] of nginx.matchAll(/location [^{]+\{/g)) assert.doesNotMatch(block(location), /proxy_set_header/, location);
  });

  test('logs the path without the query string (resume tokens), and no client address', () => {
    const formats = [...nginx.matchAll(/log_format (\w+)((?:\s+'[^']*')+);/g)];
    assert.equal(formats.length, 1);
    const [, name, format] = formats[0]!;
    assert.match(format!, /\$uri\b/);
    for (const leak of ['$request_uri', '$request ', '$args', '$query_string', '$arg_', '$remote_addr', '$http_x_forwarded_for', '$http_referer']) {
      assert.ok(!format!.includes(leak), `the log format has no ${leak.trim()}`);
    }
    assert.doesNotMatch(format!, /\$request\b(?!_)/, 'no $request (its line holds the query)');
    for (const [line] of nginx.matchAll(/^\s*access_log [^;]+;/gm)) assert.ok(line.includes(` ${name}`) || /access_log off;/.test(line), line);
  });

  test('/metrics is not served on the entry port; a replica that refuses is skipped', () => {
    assert.match(block('location ^~ /metrics {'), /return 404;/);
    assert.match(nginx, /proxy_next_upstream error timeout http_502 http_503;/);
  });
});

describe('coturn (video and voice relay)', () => {
  const coturn = () => service('coturn');
  const confFile = read('deploy/coturn/turnserver.conf');
  const setting = (name: string) => new RegExp(`^${name}=(.+)$`, 'm').exec(confFile)?.[1];
  const flag = (name: string) => coturn().command?.find((arg) => arg.startsWith(`--${name}=`))?.slice(name.length + 3);

  test('runs coturn/coturn with the shipped config, the secret and external address from .env', () => {
    assert.match(coturn().image ?? '', /^coturn\/coturn:4\.\d/);
    const [mount] = coturn().volumes ?? [];
    assert.equal(mount, './deploy/coturn/turnserver.conf:/etc/coturn/turnserver.conf:ro');
    assert.deepEqual(coturn().command?.slice(0, 2), ['-c', '/etc/coturn/turnserver.conf']);
    assert.match(confFile, /^use-auth-secret$/m, 'TURN REST credentials');
    assert.doesNotMatch(confFile, /^static-auth-secret/m, 'no secret in the file');
    assert.equal(flag('static-auth-secret'), operatorEnv.get('TURN_SECRET'));
    assert.equal(flag('external-ip'), operatorEnv.get('TURN_EXTERNAL_IP'));
    assert.equal(flag('allowed-peer-ip'), operatorEnv.get('TURN_EXTERNAL_IP'), 'relayed clients reach each other at the relay address');
  });

  test('publishes exactly the listening ports and the relay range of turnserver.conf', () => {
    const listening = setting('listening-port');
    const tls = setting('tls-listening-port');
    const relay = `${setting('min-port')}-${setting('max-port')}`;
    assert.deepEqual(
      [...(coturn().ports ?? [])].sort(),
      [`${listening}:${listening}/udp`, `${listening}:${listening}/tcp`, `${tls}:${tls}/tcp`, `${relay}:${relay}/udp`].sort(),
    );
  });

  test('the gateways hand out that coturn, signed with the same secret', () => {
    const env = containerEnv('gateway');
    const media = mediaEnvSchema.parse(Object.fromEntries(Object.entries(env).filter(([key, value]) => value !== '' && key in mediaEnvSchema.shape)));
    const address = operatorEnv.get('TURN_EXTERNAL_IP');
    const listening = setting('listening-port');
    assert.equal(media.TURN_SECRET, flag('static-auth-secret'));
    assert.deepEqual(media.TURN_URLS, [`turn:${address}:${listening}?transport=udp`, `turn:${address}:${listening}?transport=tcp`]);
    assert.deepEqual(media.STUN_URLS, [`stun:${address}:${listening}`]);
  });
});

describe('compose hardening', () => {
  const ipv4 = (address: string) => address.split('.').reduce((value, part) => value * 256 + Number(part), 0);
  const inCidr = (address: string, cidr: string) => {
    const [base, bits] = cidr.split('/');
    const size = 2 ** (32 - Number(bits));
    return Math.floor(ipv4(address) / size) === Math.floor(ipv4(base!) / size);
  };

  test('the gateways trust X-Forwarded-For from nginx only: one fixed address, outside the dynamic range', () => {
    const trusted = service('gateway').environment?.TRUST_PROXY ?? '';
    const nginxAddress = service('nginx').networks?.default?.ipv4_address;
    assert.ok(nginxAddress, 'nginx has a fixed address on the stack network');
    assert.equal(trusted, nginxAddress, 'TRUST_PROXY is exactly nginx');
    assert.match(trusted, /^\d+\.\d+\.\d+\.\d+$/, 'a single address: no range, no list');
    const [pool] = compose.networks?.default?.ipam?.config ?? [];
    assert.ok(pool?.subnet && pool.ip_range);
    assert.ok(inCidr(trusted, pool.subnet), 'inside the subnet');
    assert.ok(inCidr(pool.ip_range.split('/')[0]!, pool.subnet), 'the dynamic range is inside the subnet');
    assert.ok(!inCidr(trusted, pool.ip_range), 'outside the range Docker gives other containers');
  });

  test('ALLOWED_ORIGINS is set, to origins', () => {
    const origins = (service('gateway').environment?.ALLOWED_ORIGINS ?? '').split(',');
    assert.ok(origins.length > 0 && origins[0] !== '');
    for (const origin of origins) assert.equal(new URL(origin).origin, origin);
  });

  test('Redis has a memory cap and never evicts', () => {
    const command = service('redis').command?.join(' ') ?? '';
    assert.match(command, /--maxmemory \d+[kmg]b\b/i);
    assert.match(command, /--maxmemory-policy noeviction/);
  });

  test('every service caps its logs', () => {
    for (const [name, svc] of Object.entries(compose.services)) {
      assert.equal(svc.logging?.driver, 'json-file', name);
      assert.match(svc.logging?.options?.['max-size'] ?? '', /^\d+[km]$/, `${name}: max-size`);
      assert.match(svc.logging?.options?.['max-file'] ?? '', /^\d+$/, `${name}: max-file`);
    }
  });

  test('docs describe scaling with compose DNS, not Swarm', () => {
    for (const path of ['docs/deploying.md', 'README.md', 'docker-compose.yml']) assert.doesNotMatch(read(path), /tasks\.gateway/, path);
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
      ['moderation', 'apps/moderation/dist/main.js', 'MODERATION_PORT'],
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
    // The matchers' status ports follow the gateways' (no fixed port: two stacks can run side by side).
    assert.match(launcher, /optionalInteger\('METRICS_PORT'\)/);
    // Matchers: active + standby in both.
    assert.equal(/integer\('MATCHERS', (\d+)\)/.exec(launcher)?.[1], String(service('matcher').deploy?.replicas));
    assert.match(launcher, /redis-server/);
    assert.match(launcher, /apps\/matcher\/dist\/main\.js/);
    assert.match(launcher, /apps\/gateway\/dist\/main\.js/);
    assert.match(launcher, /apps\/moderation\/dist\/main\.js/);
    // The Dockerfile builds what compose runs.
    assert.match(dockerfile, /--filter=@strangers\/moderation-service\.\.\./);
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

describe('docs/deploying.md', () => {
  const docs = read('docs/deploying.md');
  const section = (heading: string) => {
    const start = docs.indexOf(`## ${heading}\n`);
    assert.ok(start >= 0, `has a "${heading}" section`);
    const end = docs.indexOf('\n## ', start + 3);
    return docs.slice(start, end < 0 ? undefined : end);
  };

  test('Hardening says what each setting protects and its default, and which ports to expose', () => {
    const hardening = section('Hardening');
    for (const setting of ['X-Forwarded-For', 'TRUST_PROXY', 'IP_HASH_SALT', 'ALLOWED_ORIGINS', 'maxmemory']) {
      assert.match(hardening, new RegExp(`^\\| [^|\\n]*${setting}[^|\\n]* \\| [^|\\n]+ \\| [^|\\n]+ \\|$`, 'm'), `a row for ${setting}`);
    }
    for (const port of ['/metrics', 'matcher status port', 'Redis']) assert.ok(hardening.includes(port), `the ports table covers ${port}`);
    assert.ok(hardening.includes(service('gateway').environment?.TRUST_PROXY ?? '?'), 'names the trusted address compose sets');
  });

  test('the documented alert rules are a valid Prometheus rule file on the Redis memory cap', () => {
    const block = /```yaml\n([\s\S]*?)```/.exec(section('Alerts'));
    assert.ok(block, 'a YAML rule file');
    const rules = parseYaml(block[1]!) as { groups: { name: string; rules: { alert: string; expr: string; for?: string }[] }[] };
    const all = rules.groups.flatMap((group) => group.rules);
    assert.ok(all.length > 0);
    for (const rule of all) {
      assert.match(rule.alert, /^[A-Za-z]\w*$/);
      assert.ok(rule.expr.length > 0);
      if (rule.for) assert.match(rule.for, /^\d+[smh]$/);
    }
    assert.ok(all.some((rule) => /redis_memory_used_bytes\s*\/\s*redis_memory_max_bytes/.test(rule.expr)), 'memory against maxmemory');
  });
});
