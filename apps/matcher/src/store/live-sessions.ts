import { SessionState } from '@strangers/protocol';
import { isCluster, keys, SessionField, type Redis } from '@strangers/redis';

/**
 * Which sessions are still live for the join with this `gen`: their record (written by the
 * owning gateway before it publishes the join, on the same connection) exists, says
 * `waiting`, and has the same gen. A session that left, was paired, re-joined, or whose
 * record ended with its resume grace is a ghost and must not be queued or paired.
 */
export async function liveSessions(redis: Redis, sessions: readonly { sid: string; gen: number }[]): Promise<boolean[]> {
  if (sessions.length === 0) return [];
  if (isCluster(redis)) {
    // Records live on every node and neither a script nor a pipeline may span nodes: one
    // command each, all written at once, answered by their own nodes.
    const records = await Promise.all(sessions.map(({ sid }) => redis.hmget(keys.session(sid), SessionField.state, SessionField.gen)));
    return sessions.map(({ gen }, i) => {
      const [state, storedGen] = records[i]!;
      return state === SessionState.waiting && Number(storedGen) === gen;
    });
  }
  // One script call for the whole batch (lua/live_sessions.lua): a pipeline of one HMGET per
  // join costs the client a command object, a promise and a parsed reply per join.
  const args: (string | number)[] = [];
  for (const { sid } of sessions) args.push(keys.session(sid));
  // The record's field names and state come from SessionField, so the script names none.
  args.push(SessionField.state, SessionField.gen, SessionState.waiting);
  for (const { gen } of sessions) args.push(gen);
  const live = await redis.matcherLiveSessions(sessions.length, args);
  return sessions.map((_, i) => live.charCodeAt(i) === 49 /* '1' */);
}
