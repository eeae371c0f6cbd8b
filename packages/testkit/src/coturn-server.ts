import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getFreePort } from './ports.js';

/** True when coturn's `turnserver` is on PATH (`apt-get install coturn`). */
export function turnserverInstalled(): boolean {
  return spawnSync('turnserver', ['--help'], { stdio: 'ignore' }).error === undefined;
}

export interface TurnServerHandle {
  host: string;
  port: number;
  secret: string;
  realm: string;
  /** What coturn printed, for a failing test's message. */
  output(): string;
  stop(): Promise<void>;
}

export interface TurnServerOptions {
  /** A config file to start from (e.g. deploy/coturn/turnserver.conf); the test's settings override it. */
  baseConfig?: string;
  /** Reach loopback peers (only a test on 127.0.0.1 needs it; never in production). */
  allowLoopbackPeers?: boolean;
}

/** Every turnserver this process started, killed if the test process exits without stopping them. */
const servers = new Set<ChildProcess>();
process.once('exit', () => {
  for (const server of servers) server.kill('SIGKILL');
});

/**
 * Starts a private coturn on free loopback ports with TURN REST auth, relaying from
 * 127.0.0.1, and resolves once it answers a STUN Binding request.
 */
export async function startTurnServer(options: TurnServerOptions = {}): Promise<TurnServerHandle> {
  const port = await getFreePort();
  const dir = mkdtempSync(join(tmpdir(), 'strangers-coturn-'));
  const secret = randomBytes(24).toString('base64url');
  const realm = 'strangers.test';
  // Relay ports below Linux's ephemeral range (32768+), so they rarely collide with other sockets.
  const minPort = 20000 + Math.floor(Math.random() * 120) * 100;
  const settings = [
    'listening-ip=127.0.0.1',
    'relay-ip=127.0.0.1',
    `listening-port=${port}`,
    `min-port=${minPort}`,
    `max-port=${minPort + 99}`,
    'use-auth-secret',
    `static-auth-secret=${secret}`,
    `realm=${realm}`,
    'no-tls',
    'no-dtls',
    'no-rfc5780',
    `pidfile=${join(dir, 'turnserver.pid')}`,
    `userdb=${join(dir, 'turndb')}`,
    ...(options.allowLoopbackPeers ? ['allow-loopback-peers'] : []),
  ];
  const configFile = join(dir, 'turnserver.conf');
  if (options.baseConfig === undefined) {
    writeFileSync(configFile, ['fingerprint', 'no-cli', 'no-multicast-peers', 'log-file=stdout', 'simple-log', ...settings, ''].join('\n'));
  }
  // With a base config, the test's settings go on the command line: coturn lets them override the file.
  const args =
    options.baseConfig === undefined
      ? ['-c', configFile]
      : ['-c', options.baseConfig, ...settings.map((setting) => `--${setting}`)];
  const child = spawn('turnserver', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  servers.add(child);
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = once(child, 'exit');

  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      await exited;
    }
    servers.delete(child);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await Promise.race([
      waitForBinding('127.0.0.1', port),
      exited.then(() => Promise.reject(new Error('turnserver exited'))),
    ]);
  } catch (error) {
    await stop();
    throw new Error(`turnserver did not start: ${(error as Error).message}\n${output}`);
  }
  return { host: '127.0.0.1', port, secret, realm, output: () => output, stop };
}

/** Sends STUN Binding requests (20 bytes: type, length 0, magic cookie, transaction id) until one is answered. */
async function waitForBinding(host: string, port: number, timeoutMs = 10_000): Promise<void> {
  const socket = createSocket('udp4');
  const transaction = randomBytes(12);
  const request = Buffer.concat([Buffer.from([0x00, 0x01, 0x00, 0x00, 0x21, 0x12, 0xa4, 0x42]), transaction]);
  const answered = new Promise<void>((resolve) => {
    socket.on('message', (packet) => {
      // 0x0101: Binding success response, for our transaction.
      if (packet.length >= 20 && packet.readUInt16BE(0) === 0x0101 && packet.subarray(8, 20).equals(transaction)) resolve();
    });
  });
  // Not a timing guess: a retransmission schedule, as a STUN client sends one until it is answered.
  const resend = setInterval(() => socket.send(request, port, host), 100);
  socket.send(request, port, host);
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      answered,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no STUN answer within ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
  } finally {
    clearInterval(resend);
    clearTimeout(timer);
    socket.close();
  }
}
