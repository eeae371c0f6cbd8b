/**
 * The local stack's TURN relay: coturn's `turnserver` on loopback with TURN REST auth, the
 * settings packages/testkit's coturn-server.ts uses (docs/video.md, "In compose and in npm start").
 */
import { randomBytes } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A turnserver config for 127.0.0.1:port, written to a private temporary folder (mode 0600: the
 * secret is in it, not on a command line). Its log goes to a file there, not the terminal:
 * coturn prints some fifty lines at start and one per allocation.
 * @param {{ port: number, secret: string }} options
 */
export function writeLocalTurnConfig({ port, secret }) {
  const dir = mkdtempSync(join(tmpdir(), 'strangers-turn-'));
  // A random block of relay ports below Linux's ephemeral range (32768+), so two stacks rarely clash.
  const minPort = 20000 + Math.floor(Math.random() * 120) * 100;
  const lines = [
    'listening-ip=127.0.0.1',
    'relay-ip=127.0.0.1',
    `listening-port=${port}`,
    `min-port=${minPort}`,
    `max-port=${minPort + 99}`,
    'use-auth-secret',
    `static-auth-secret=${secret}`,
    'realm=strangers.local',
    'fingerprint',
    'no-tls',
    'no-dtls',
    'no-rfc5780',
    'no-cli',
    'no-multicast-peers',
    // Both browsers' relay candidates are 127.0.0.1 here: loopback peers must be reachable
    // (never in production, where deploy/coturn/turnserver.conf denies them).
    'allow-loopback-peers',
    'no-stdout-log',
    `log-file=${join(dir, 'turnserver.log')}`,
    'simple-log',
    `pidfile=${join(dir, 'turnserver.pid')}`,
    `userdb=${join(dir, 'turndb')}`,
  ];
  const configFile = join(dir, 'turnserver.conf');
  writeFileSync(configFile, `${lines.join('\n')}\n`, { mode: 0o600 });
  return {
    configFile,
    logFile: join(dir, 'turnserver.log'),
    /** What the gateways hand to browsers. */
    turnUrls: `turn:127.0.0.1:${port}?transport=udp`,
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** A random TURN_SECRET for one run (32 bytes, base64url: no characters coturn's config would mangle). */
export function randomTurnSecret() {
  return randomBytes(32).toString('base64url');
}

/**
 * Resolves true once host:port answers a STUN Binding request (20 bytes: type, length 0, magic
 * cookie, transaction id), false after timeoutMs. Resent every 100 ms, as a STUN client does.
 */
export function stunAnswers(host, port, timeoutMs = 10_000) {
  return new Promise((resolve) => {
    const socket = createSocket('udp4');
    const transaction = randomBytes(12);
    const request = Buffer.concat([Buffer.from([0x00, 0x01, 0x00, 0x00, 0x21, 0x12, 0xa4, 0x42]), transaction]);
    const done = (answer) => {
      clearInterval(resend);
      clearTimeout(timer);
      socket.close();
      resolve(answer);
    };
    socket.on('message', (packet) => {
      // 0x0101: Binding success response, for our transaction.
      if (packet.length >= 20 && packet.readUInt16BE(0) === 0x0101 && packet.subarray(8, 20).equals(transaction)) done(true);
    });
    socket.on('error', () => undefined);
    const send = () => socket.send(request, port, host);
    const resend = setInterval(send, 100);
    const timer = setTimeout(() => done(false), timeoutMs);
    send();
  });
}
