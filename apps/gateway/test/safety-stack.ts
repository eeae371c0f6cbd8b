import { TestClient, type Frame, type ServiceHandle } from '@strangers/testkit';

/** Test helpers shared by the safety suites (proof of work, filters, hook, abuse). */

/** A `/ws` client on `gateway`, its `welcome` read and returned; `from` is the client address (X-Forwarded-For, the gateway must trust loopback). */
export async function connectTo(gateway: ServiceHandle, clients: TestClient[], from?: string): Promise<{ client: TestClient; welcome: Frame }> {
  const client = await TestClient.connect(`ws://127.0.0.1:${gateway.port}/ws`, from === undefined ? {} : { 'x-forwarded-for': from });
  clients.push(client);
  const welcome = await client.next('welcome');
  return { client, welcome };
}

/** One sample of a metric from the gateway's /metrics (0 when absent). */
export async function metricValue(gateway: ServiceHandle, name: string, labels: Record<string, string> = {}): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${gateway.port}/metrics`)).text();
  const wanted = Object.entries(labels).map(([key, value]) => `${key}="${value}"`);
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    if (wanted.every((label) => line.includes(label))) return Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return 0;
}

/** Reads frames up to the answer to a message sent with `id`: its `ack` or its `error`. */
export async function answerTo(client: TestClient, id: string, timeoutMs = 5000): Promise<Frame> {
  return client.seen((frame) => (frame.type === 'ack' || frame.type === 'error') && frame.id === id, timeoutMs);
}
