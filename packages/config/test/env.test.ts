import assert from 'node:assert/strict';
import { once } from 'node:events';
import { PassThrough } from 'node:stream';
import { test } from 'node:test';
import { z } from 'zod';
import { ConfigError, createLogger, envField, parseEnv } from '../src/index.js';

const schema = z.object({ PORT: envField.port(8080), REDIS_URL: envField.redisUrl(), FLAG: envField.boolean(true) });

test('defaults apply and empty strings count as unset', () => {
  assert.deepEqual(parseEnv(schema, { PORT: '', FLAG: 'no' }), { PORT: 8080, REDIS_URL: 'redis://127.0.0.1:6379', FLAG: false });
});

test('a bad variable fails fast with its name in the message', () => {
  assert.throws(
    () => parseEnv(schema, { PORT: 'eighty', REDIS_URL: 'http://x' }),
    (error: unknown) =>
      error instanceof ConfigError && /PORT/.test(error.message) && /REDIS_URL/.test(error.message) && error.problems.length === 2,
  );
});

test('the logger never writes message text or raw addresses', async () => {
  const stream = new PassThrough();
  const logger = createLogger({ name: 't', level: 'info', destination: stream });
  logger.info({ text: 'secret words', ip: '10.1.2.3', frame: { text: 'x' } }, 'hello');
  const [line] = (await once(stream, 'data')) as [Buffer];
  assert.doesNotMatch(line.toString(), /secret words|10\.1\.2\.3/);
  assert.match(line.toString(), /"msg":"hello"/);
});
