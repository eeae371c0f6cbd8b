import type { Results } from './results.js';
import { fmtRate } from './stats.js';
import { systemLabels, type SystemName } from './systems.js';

const ROLE_LABELS: Record<string, string> = { servers: 'servers', redis: 'Redis', load: 'load generators' };

/**
 * The "CPU per message" table: for each system at one rate, the CPU every role spent per
 * relayed message. All of them share the box's cores, so the sum bounds the maximum rate.
 */
export function cpuPerMessageSection(results: Results, rate: number, cores: number): string[] {
  const rows: string[] = [];
  for (const [name, figures] of Object.entries(results.relay) as [SystemName, NonNullable<Results['relay'][SystemName]>][]) {
    const cpu = figures.rates.find((each) => each.rate === rate)?.cpuPerMessage;
    if (!cpu) continue;
    const median = (role: string) => cpu[role]?.median;
    const total = Object.values(cpu).reduce((sum, spread) => sum + spread.median, 0);
    const cell = (role: string) => (median(role) === undefined ? '–' : median(role)!.toFixed(1));
    const ceiling = (cores * 1e6) / total;
    rows.push(`| ${systemLabels[name]} | ${cell('servers')} | ${cell('redis')} | ${cell('load')} | ${total.toFixed(1)} | ${fmtRate(ceiling)} |`);
  }
  if (rows.length === 0) return [];
  return [
    `### CPU per relayed message at ${fmtRate(rate)} msg/s`,
    '',
    `CPU time (user + system, from \`/proc/<pid>/stat\`) each group of processes spent per message during the fixed-rate runs at ${fmtRate(rate)} msg/s,`,
    `median of ${results.profile.relay.reps}, in microseconds. Servers, Redis and the load generators share ${cores} cores, so ${cores} × 10⁶ µs / total is`,
    'the rate at which the box would run out of CPU at this cost per message (the cost falls a little as rates rise and batches grow).',
    '',
    `| system | ${ROLE_LABELS.servers} µs | ${ROLE_LABELS.redis} µs | ${ROLE_LABELS.load} µs | total µs | CPU ceiling on ${cores} cores |`,
    '| --- | --- | --- | --- | --- | --- |',
    ...rows,
    '',
  ];
}

/** One line on what a pair cost in CPU during the pairing bursts, and the ceiling it implies. */
export function cpuPerPairLines(pairing: NonNullable<Results['pairing']>, cores: number): string[] {
  const cpu = pairing.cpuPerPair;
  if (!cpu) return [];
  const total = Object.values(cpu).reduce((sum, spread) => sum + spread.median, 0);
  const part = (role: string, label: string) => (cpu[role] ? `${label} ${cpu[role]!.median.toFixed(0)} µs` : undefined);
  const parts = [part('servers', 'gateways'), part('matcher', 'matcher'), part('redis', 'Redis'), part('load', 'load generators')].filter(Boolean);
  return [
    `CPU per pair from the first \`join\` to the last \`paired\` of a burst (medians; both sides' \`join\`, \`waiting\` and \`paired\`): ${parts.join(', ')}; ` +
      `**${total.toFixed(0)} µs in all**, so ${cores} cores run out at ≈ ${fmtRate((cores * 1e6) / total)} pairs/s end to end.`,
    '',
  ];
}
