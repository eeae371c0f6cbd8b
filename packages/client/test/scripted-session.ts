import assert from 'node:assert/strict';
import type { StrangerClient } from '../src/index.ts';
import { nextEvent } from './events.ts';
import type { ScriptedConnection, ScriptedServer } from './scripted-server.ts';

let tokens = 0;

/** Connects a client and scripts welcome → join → waiting → paired; returns the connection. */
export async function pairedClient(
  server: ScriptedServer,
  client: StrangerClient,
  chat = 'chat-1',
): Promise<{ conn: ScriptedConnection; token: string }> {
  const index = server.connections.length;
  const connected = client.connect();
  const conn = await server.connection(index);
  const token = `token-${++tokens}`;
  conn.send({ type: 'welcome', session: `s-${tokens}`, resumeToken: token, online: 2 });
  await connected;
  await client.join({ interests: ['music'] });
  assert.deepEqual(await conn.nextFrame('join'), { type: 'join', interests: ['music'] });
  conn.send({ type: 'waiting', online: 2 });
  const paired = nextEvent(client, 'paired');
  conn.send({ type: 'paired', chat, interests: ['music'] });
  assert.deepEqual(await paired, { chat, interests: ['music'] });
  return { conn, token };
}
