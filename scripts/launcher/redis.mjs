/** The local stack's Redis: the one at REDIS_URL, or a throw-away redis-server started there. */
import { spawnSync } from 'node:child_process';
import { connect } from 'node:net';

/** REDIS_URL for printing: the password (and a user's) replaced by `***`. Works for cluster URLs too. */
export function redactRedisUrl(url) {
  return url.replace(/^([a-z+]+:\/\/)([^@/]*)@/i, (_, scheme, credentials) => {
    const colon = credentials.indexOf(':');
    return `${scheme}${colon < 0 ? '***' : `${credentials.slice(0, colon)}:***`}@`;
  });
}

/** Resolves true if something at host:port answers a PING (PONG or an auth error alike). */
export function redisAnswers(host, port, timeoutMs = 1000) {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (answer) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(answer);
    };
    const timer = setTimeout(() => done(false), timeoutMs);
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.once('data', (data) => done(/^[+-]/.test(data.toString())));
    socket.once('error', () => done(false));
  });
}

export function onPath(binary) {
  return spawnSync('sh', ['-c', `command -v ${binary}`], { stdio: 'ignore' }).status === 0;
}

/**
 * Where a local redis-server for `url` would listen, and its config: no persistence (a
 * throw-away Redis leaves no dump or AOF behind) and the URL's password if it has one. The
 * config goes in on stdin (`redis-server -`), so the password is not on a command line.
 */
export function localRedisPlan(url) {
  const parsed = new URL(url);
  const host = parsed.hostname.replace(/^\[|\]$/g, '') || '127.0.0.1';
  const port = Number(parsed.port || 6379);
  const local = ['127.0.0.1', 'localhost', '::1'].includes(host);
  const bind = host === 'localhost' ? '127.0.0.1' : host;
  const password = decodeURIComponent(parsed.password);
  const config = [`port ${port}`, `bind ${bind}`, 'save ""', 'appendonly no', 'loglevel warning'];
  if (password) config.push(`requirepass "${password.replace(/["\\]/g, '\\$&')}"`);
  return { host, port, local, input: `${config.join('\n')}\n` };
}
