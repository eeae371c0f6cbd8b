import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Cluster, Redis, type RedisOptions } from 'ioredis';
import type { TestCertificates } from './certificates.js';
import { waitFor } from './wait.js';

const run = promisify(execFile);

export interface ClusterNodeHandle {
  port: number;
  /** PID of the running redis-server (0 while stopped). */
  pid: number;
  /** SIGKILL this node (a crash); `start()` brings it back on the same port and dir. */
  kill(): Promise<void>;
  start(): Promise<void>;
  /** `cluster_state` as this node sees it: `ok`, `fail`, or '' if it does not answer. */
  clusterState(): Promise<string>;
}

export interface RedisClusterHandle {
  /**
   * `redis+cluster://127.0.0.1:p1,127.0.0.1:p2,…` (`rediss+cluster://:pass@…` with TLS and a
   * password): REDIS_URL for the services.
   */
  url: string;
  /** Every node, masters first as created (roles change on failover: see `masterPorts`). */
  nodes: ClusterNodeHandle[];
  /** A cluster client for assertions (with the password and CA, if any); closed by `stop()`. */
  client(): Cluster;
  /** The ports of the nodes that are masters now (asked of a live node). */
  masterPorts(): Promise<number[]>;
  /** The port of the master serving `key` now. */
  masterOf(key: string): Promise<number>;
  /** Resolves once every live node reports `cluster_state:ok` and agrees on the masters. */
  waitHealthy(timeoutMs?: number): Promise<void>;
  /** SIGKILL every node (a whole-cluster outage); `start()` restarts them from their nodes.conf. */
  kill(): Promise<void>;
  start(): Promise<void>;
  stop(): Promise<void>;
}

export interface RedisClusterOptions {
  masters?: number;
  replicasPerMaster?: 0 | 1;
  /** `cluster-node-timeout` (ms): how long a master may be unreachable before failover. */
  nodeTimeoutMs?: number;
  /** Extra `redis-server` arguments for every node, e.g. `['--appendonly', 'yes']`. */
  args?: string[];
  /** Every node requires this password (`--requirepass`, and `--masterauth` for replicas). */
  password?: string;
  /**
   * Every node serves TLS only: clients, the cluster bus and replication (plain ports off);
   * the `url` is `rediss+cluster://`, clients trust `caFile`. One certificate serves every
   * node (all on 127.0.0.1): `makeTestCertificates` makes a set.
   */
  tls?: TestCertificates;
}

/** Every cluster node this process started, killed if the test process exits without stopping them. */
const processes = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of processes) child.kill('SIGKILL');
});

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.unref();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** A free port whose cluster bus port (+10000) is free too. */
async function getFreeClusterPort(taken: Set<number>): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = 20_000 + Math.floor(Math.random() * 30_000);
    if (taken.has(port) || taken.has(port + 10_000) || taken.has(port - 10_000)) continue;
    if ((await canListen(port)) && (await canListen(port + 10_000))) {
      taken.add(port);
      return port;
    }
  }
  throw new Error('no free port pair for a cluster node');
}

/**
 * Runs `ask` on a one-off connection to the node on `port` (never retried: a probe that
 * fails says the node is not there yet), with the cluster's AUTH and TLS options.
 */
async function probe<T>(port: number, auth: RedisOptions, ask: (node: Redis) => Promise<T>): Promise<T> {
  const node = new Redis({ ...auth, port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  node.on('error', () => {});
  try {
    await node.connect();
    return await ask(node);
  } finally {
    node.disconnect();
  }
}

function info(port: number, auth: RedisOptions, section: string): Promise<string> {
  return probe(port, auth, async (node) => (section === 'cluster' ? ((await node.cluster('INFO')) as string) : await node.info(section)));
}

function clusterNodes(port: number, auth: RedisOptions): Promise<string[][]> {
  return probe(port, auth, async (node) => {
    const text = (await node.cluster('NODES')) as string;
    return text.trim().split('\n').map((line) => line.split(' '));
  });
}

/** `redis-server` arguments for a node on `port`: plain, or TLS only (clients, bus, replication). */
function listenArgs(port: number, options: RedisClusterOptions): string[] {
  const args = options.tls
    ? [
        '--port', '0', '--tls-port', String(port), '--tls-cluster', 'yes', '--tls-replication', 'yes',
        '--tls-cert-file', options.tls.certFile, '--tls-key-file', options.tls.keyFile,
        '--tls-ca-cert-file', options.tls.caFile, '--tls-auth-clients', 'no',
      ]
    : ['--port', String(port)];
  if (options.password !== undefined) args.push('--requirepass', options.password, '--masterauth', options.password);
  return args;
}

/** A node and, once started, its redis-server process. */
type SpawnedNode = ClusterNodeHandle & { child?: ChildProcess };

/** Settings every node of one cluster shares. */
interface NodeSettings {
  options: RedisClusterOptions;
  auth: RedisOptions;
  nodeTimeout: number;
}

/** The handle of one node on `port`, its data in `dir`; not started. */
function clusterNode(port: number, dir: string, { options, auth, nodeTimeout }: NodeSettings): SpawnedNode {
  const node: SpawnedNode = {
    port,
    get pid() {
      return node.child && node.child.exitCode === null && node.child.signalCode === null ? (node.child.pid ?? 0) : 0;
    },
    async start() {
      const child = spawn(
        'redis-server',
        [
          ...listenArgs(port, options), '--bind', '127.0.0.1', '--dir', dir,
          '--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf', '--cluster-node-timeout', String(nodeTimeout),
          '--save', '', '--appendonly', 'no', ...(options.args ?? []),
        ],
        { stdio: ['ignore', 'ignore', 'inherit'] },
      );
      node.child = child;
      processes.add(child);
      child.once('exit', () => processes.delete(child));
      await waitFor(async () => (await info(port, auth, 'server').catch(() => '')).includes('redis_version'), {
        timeoutMs: 10_000,
        what: `cluster node on port ${port}`,
      });
    },
    async clusterState() {
      const text = await info(port, auth, 'cluster').catch(() => '');
      return /cluster_state:(\w+)/.exec(text)?.[1] ?? '';
    },
    async kill() {
      const child = node.child;
      if (!child || child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGKILL');
      await exited;
    },
  };
  return node;
}

async function liveNode(nodes: SpawnedNode[]): Promise<number> {
  for (const node of nodes) if (node.pid) return node.port;
  throw new Error('no cluster node running');
}

async function masterPortsOf(nodes: SpawnedNode[], auth: RedisOptions): Promise<number[]> {
  const lines = await clusterNodes(await liveNode(nodes), auth);
  return lines
    .filter((fields) => fields[2]!.includes('master') && !fields[2]!.includes('fail') && fields.length > 8)
    .map((fields) => Number(fields[1]!.split('@')[0]!.split(':')[1]));
}

/** The ports of the masters serving slots, as `port` sees them ('x' if a slot is unserved). */
async function slotOwnersSeenBy(port: number, auth: RedisOptions): Promise<string> {
  return probe(port, auth, async (node) => {
    const ranges = (await node.cluster('SLOTS')) as unknown as [number, number, [string, number]][];
    const covered = ranges.reduce((sum, [from, to]) => sum + to - from + 1, 0);
    if (covered !== 16384) return 'x';
    return [...new Set(ranges.map((range) => range[2][1]))].sort().join(',');
  });
}

async function waitHealthy(nodes: SpawnedNode[], auth: RedisOptions, timeoutMs = 20_000): Promise<void> {
  await waitFor(
    async () => {
      const live = nodes.filter((node) => node.pid);
      for (const node of live) {
        const text = await info(node.port, auth, 'cluster').catch(() => '');
        if (!text.includes('cluster_state:ok')) return false;
      }
      // Every live node sees every slot served by a live master (a dead master still
      // counts as serving its slots until the cluster has failed it over), all agreeing.
      const livePorts = new Set(live.map((node) => node.port));
      const views = await Promise.all(live.map((node) => slotOwnersSeenBy(node.port, auth).catch(() => 'x')));
      return views.every((view) => view === views[0] && view !== 'x' && view.split(',').every((port) => livePorts.has(Number(port))));
    },
    { timeoutMs, intervalMs: 100, what: 'cluster_state:ok on every node' },
  );
}

/** Joins the started nodes into one cluster with `redis-cli --cluster create`. */
async function createCluster(nodes: SpawnedNode[], options: RedisClusterOptions, replicas: number): Promise<void> {
  // The password goes through REDISCLI_AUTH: `-a` would make redis-cli warn on stderr.
  await run(
    'redis-cli',
    [
      ...(options.tls ? ['--tls', '--cacert', options.tls.caFile] : []),
      '--cluster', 'create', ...nodes.map((node) => `127.0.0.1:${node.port}`),
      '--cluster-replicas', String(replicas), '--cluster-yes',
    ],
    { env: { ...process.env, ...(options.password === undefined ? {} : { REDISCLI_AUTH: options.password }) } },
  );
}

/** Replicas attached and in sync, so a failover has someone up to date to promote. */
async function waitReplicasInSync(nodes: SpawnedNode[], auth: RedisOptions): Promise<void> {
  await waitFor(
    async () => {
      const mastersNow = new Set(await masterPortsOf(nodes, auth));
      for (const node of nodes.filter((n) => !mastersNow.has(n.port))) {
        if (!(await info(node.port, auth, 'replication').catch(() => '')).includes('master_link_status:up')) return false;
      }
      return true;
    },
    { timeoutMs: 20_000, intervalMs: 100, what: 'replicas in sync' },
  );
}

/** The handle over a healthy cluster of `nodes` (the first `masters` of them created as masters), data under `root`. */
function clusterHandle(nodes: SpawnedNode[], masters: number, root: string, { options, auth }: NodeSettings): RedisClusterHandle {
  const clients: Cluster[] = [];
  const seeds = nodes.slice(0, masters).map((node) => `127.0.0.1:${node.port}`);
  const credentials = options.password === undefined ? '' : `:${encodeURIComponent(options.password)}@`;
  return {
    url: `${options.tls ? 'rediss' : 'redis'}+cluster://${credentials}${seeds.join(',')}`,
    nodes,
    client() {
      const client = new Cluster(
        nodes.map((node) => ({ host: '127.0.0.1', port: node.port })),
        { redisOptions: auth, scaleReads: 'master', retryDelayOnFailover: 200, retryDelayOnClusterDown: 200, slotsRefreshInterval: 1000 },
      );
      client.on('error', () => {});
      clients.push(client);
      return client;
    },
    masterPorts: () => masterPortsOf(nodes, auth),
    async masterOf(key: string) {
      return probe(await liveNode(nodes), auth, async (node) => {
        const slot = (await node.cluster('KEYSLOT', key)) as number;
        const ranges = (await node.cluster('SLOTS')) as unknown as [number, number, [string, number]][];
        const range = ranges.find(([from, to]) => slot >= from && slot <= to);
        if (!range) throw new Error(`slot ${slot} unserved`);
        return range[2][1];
      });
    },
    waitHealthy: (timeoutMs?: number) => waitHealthy(nodes, auth, timeoutMs),
    async kill() {
      await Promise.all(nodes.map((node) => node.kill()));
    },
    async start() {
      await Promise.all(nodes.filter((node) => !node.pid).map((node) => node.start()));
      await waitHealthy(nodes, auth);
    },
    async stop() {
      for (const client of clients) client.disconnect();
      await Promise.all(nodes.map((node) => node.kill()));
      rmSync(root, { recursive: true, force: true });
    },
  };
}

/**
 * Starts a private Redis Cluster: `masters` × (1 + `replicasPerMaster`) `redis-server
 * --cluster-enabled yes` processes on free ports, joined with `redis-cli --cluster create`,
 * and waits for `cluster_state:ok` everywhere. Nothing persists but each node's nodes.conf
 * (and its AOF, if `args` turns it on). With `password` and `tls`, every connection to
 * every node (probes, `redis-cli`, `client()`, the services through `url`) uses them.
 */
export async function startRedisCluster(options: RedisClusterOptions = {}): Promise<RedisClusterHandle> {
  const masters = options.masters ?? 3;
  const replicas = options.replicasPerMaster ?? 0;
  const root = mkdtempSync(join(tmpdir(), 'strangers-cluster-'));
  const taken = new Set<number>();
  const nodes: SpawnedNode[] = [];
  const auth: RedisOptions = {};
  if (options.password !== undefined) auth.password = options.password;
  if (options.tls) auth.tls = { ca: readFileSync(options.tls.caFile) };
  const settings: NodeSettings = { options, auth, nodeTimeout: options.nodeTimeoutMs ?? 2000 };

  for (let index = 0; index < masters * (1 + replicas); index++) {
    const port = await getFreeClusterPort(taken);
    const dir = join(root, String(port));
    mkdirSync(dir);
    nodes.push(clusterNode(port, dir, settings));
  }

  try {
    await Promise.all(nodes.map((node) => node.start()));
    await createCluster(nodes, options, replicas);
    await waitHealthy(nodes, auth);
    if (replicas > 0) await waitReplicasInSync(nodes, auth);
  } catch (error) {
    await Promise.all(nodes.map((node) => node.kill()));
    rmSync(root, { recursive: true, force: true });
    throw error;
  }
  return clusterHandle(nodes, masters, root, settings);
}
