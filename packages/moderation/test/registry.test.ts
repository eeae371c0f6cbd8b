import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BanRegistry, type BanRecord } from '../src/index.ts';

function record(id: string, overrides: Partial<BanRecord> = {}): BanRecord {
  return { id: id.padEnd(25, '0'), kind: 'ban', ipHash: 'addressHash0001', ground: 'spam', reason: '', createdAt: 1, by: 'alice', appeal: 'https://x/appeal/1', ...overrides };
}

test('lookup: the ban in force that ends last applies; permanent beats temporary; expired ones never apply', () => {
  const registry = new BanRegistry();
  const now = 1_000_000;
  registry.add(record('a', { until: now + 10 }));
  registry.add(record('b', { until: now + 1000 }));
  registry.add(record('c', { until: now - 1 }));
  assert.equal(registry.lookup('addressHash0001', now).ban?.id, record('b').id);
  registry.add(record('d'));
  assert.equal(registry.lookup('addressHash0001', now).ban?.id, record('d').id);
  assert.equal(registry.lookup('addressHash0001', now).shadowban, undefined);
  assert.deepEqual(registry.lookup('otherHash000001', now), {});

  registry.apply({ type: 'lift', banId: record('d').id });
  assert.equal(registry.lookup('addressHash0001', now).ban?.id, record('b').id);
  registry.apply({ type: 'add', ban: record('e', { kind: 'shadowban', ipHash: 'shadowHash00001', until: now + 5 }) });
  assert.equal(registry.lookup('shadowHash00001', now).shadowban?.id, record('e').id);
  assert.equal(registry.lookup('shadowHash00001', now).ban, undefined);
  assert.equal(registry.lookup('shadowHash00001', now + 5).shadowban, undefined);

  assert.equal(registry.size, 4);
  registry.prune(now + 20);
  assert.equal(registry.size, 1); // only b (until now + 1000) is still in force
  registry.reset([]);
  assert.equal(registry.size, 0);
  assert.deepEqual(registry.lookup('addressHash0001', now), {});
});

test('adding a ban again replaces it (a replayed stream event changes nothing)', () => {
  const registry = new BanRegistry();
  registry.add(record('a', { until: 50 }));
  registry.add(record('a', { until: 50 }));
  assert.equal(registry.size, 1);
  registry.apply({ type: 'lift', banId: record('a').id });
  registry.apply({ type: 'lift', banId: record('a').id });
  assert.equal(registry.size, 0);
});
