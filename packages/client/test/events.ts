import type { StrangerClient, StrangerClientEvents } from '../src/index.ts';

/** Resolves with the next `event` the client emits (optionally one matching `match`), or rejects after a timeout. */
export function nextEvent<K extends keyof StrangerClientEvents>(
  client: StrangerClient,
  event: K,
  match: (payload: StrangerClientEvents[K]) => boolean = () => true,
  timeoutMs = 5000,
): Promise<StrangerClientEvents[K]> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error(`no "${String(event)}" event within ${timeoutMs} ms`));
    }, timeoutMs);
    const off = client.on(event, (payload) => {
      if (!match(payload)) return;
      clearTimeout(timer);
      off();
      resolve(payload);
    });
  });
}

/** Records every payload of `event` from now on. */
export function record<K extends keyof StrangerClientEvents>(client: StrangerClient, event: K): StrangerClientEvents[K][] {
  const seen: StrangerClientEvents[K][] = [];
  client.on(event, (payload) => seen.push(payload));
  return seen;
}
