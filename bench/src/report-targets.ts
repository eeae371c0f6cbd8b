import type { TargetCheck } from './report.js';
import type { Results } from './results.js';
import { fmtMs, fmtRate } from './stats.js';

/** The fixed rate at which latency and CPU are compared with the bare relay. */
const COMPARE_RATE = 10_000;

const ratio = (x: number, y: number) => (y > 0 ? x / y : Number.NaN);

/** Issue 23's relay goals: same-run ratios against the bare two-process relay and Socket.IO. */
export function relayTargets(results: Results): TargetCheck[] {
  const product = results.relay.product;
  if (!product) return [];
  const checks: TargetCheck[] = [];
  const bare = results.relay['ws-redis'];
  const socketio = results.relay.socketio;
  const max = product.maxRate.median;
  if (socketio) {
    const times = ratio(max, socketio.maxRate.median);
    checks.push({ target: 'max sustained rate ≥ 2× Socket.IO + redis-streams-adapter', measured: `${times.toFixed(2)}× (${fmtRate(max)}/s vs ${fmtRate(socketio.maxRate.median)}/s)`, met: times >= 2, gap: `needs ${fmtRate(2 * socketio.maxRate.median)}/s` });
  }
  if (!bare) return checks;
  const share = ratio(max, bare.maxRate.median);
  checks.push({ target: 'max sustained rate ≥ 80 % of the bare two-process relay', measured: `${fmtRate(max)}/s = ${(share * 100).toFixed(0)} % of ${fmtRate(bare.maxRate.median)}/s`, met: share >= 0.8, gap: `${(80 - share * 100).toFixed(0)} points short (needs ${fmtRate(0.8 * bare.maxRate.median)}/s)` });
  const ours = product.rates.find((figures) => figures.rate === COMPARE_RATE);
  const theirs = bare.rates.find((figures) => figures.rate === COMPARE_RATE);
  if (!ours || !theirs) return checks;
  const p99 = ratio(ours.p99.median, theirs.p99.median);
  checks.push({ target: `p99 at ${fmtRate(COMPARE_RATE)} msg/s ≤ 1.3× the bare two-process relay's`, measured: `${fmtMs(ours.p99.median)} ms = ${p99.toFixed(2)}× ${fmtMs(theirs.p99.median)} ms`, met: p99 <= 1.3, gap: `needs ≤ ${fmtMs(1.3 * theirs.p99.median)} ms` });
  const serverCost = (figures: typeof ours) => (figures.cpuPerMessage?.servers?.median ?? Number.NaN) + (figures.cpuPerMessage?.redis?.median ?? Number.NaN);
  const cpu = ratio(serverCost(ours), serverCost(theirs));
  checks.push({
    target: `servers + Redis CPU per message at ${fmtRate(COMPARE_RATE)} msg/s ≤ 1.2× the bare two-process relay's`,
    measured: `${serverCost(ours).toFixed(0)} µs = ${cpu.toFixed(2)}× ${serverCost(theirs).toFixed(0)} µs`,
    met: cpu <= 1.2,
    gap: `needs ≤ ${(1.2 * serverCost(theirs)).toFixed(0)} µs`,
  });
  return checks;
}

/** Issue 23's pairing goals, end to end through both gateways. */
export function pairingTargets(results: Results): TargetCheck[] {
  const pairing = results.pairing;
  if (!pairing) return [];
  const pps = pairing.pairsPerSecond.median;
  const checks: TargetCheck[] = [{ target: 'pairing end to end ≥ 10 000 pairs/s', measured: `${pps.toFixed(0)} pairs/s`, met: pps >= 10_000, gap: `${((1 - pps / 10_000) * 100).toFixed(0)} % short` }];
  const gateways = pairing.cpuPerPair?.servers?.median;
  if (gateways !== undefined) {
    checks.push({ target: 'gateway CPU per pair ≤ 100 µs (both sides, both gateways)', measured: `${gateways.toFixed(0)} µs`, met: gateways <= 100, gap: `${(gateways / 100).toFixed(1)}× the target` });
  }
  return checks;
}
