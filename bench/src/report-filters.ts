import type { TargetCheck } from './report.js';
import type { Results } from './results.js';
import { fmtRate, fmtSpread } from './stats.js';

/** Issue 19's goal: the built-in filters cost ≤ 5 µs per message. */
const FILTER_GOAL_MICROS = 5;

/** The filters' extra CPU per message: the gateways' µs with the filters on minus the same run's product at the same rate. */
function filterCost(results: Results): { on: number; off: number; extra: number } | undefined {
  const filters = results.filters;
  const off = results.relay.product?.rates.find((figures) => figures.rate === filters?.rate)?.cpuPerMessage?.servers?.median;
  const on = filters?.cpuPerMessage.servers?.median;
  if (on === undefined || off === undefined) return undefined;
  // Two gateways handle each message (the sender's checks it, the partner's delivers it): µs per message is per message, both legs.
  return { on, off, extra: on - off };
}

export function filtersTargets(results: Results): TargetCheck[] {
  const cost = filterCost(results);
  if (!cost || !results.filters) return [];
  const clean = results.filters.lost === 0;
  return [
    {
      target: `content filters on: ≤ ${FILTER_GOAL_MICROS} µs more gateway CPU per message (issue 19)`,
      measured: `${cost.extra.toFixed(1)} µs (${cost.on.toFixed(1)} on vs ${cost.off.toFixed(1)} off at ${fmtRate(results.filters.rate)} msg/s)${clean ? '' : `, but ${results.filters.lost} messages lost`}`,
      met: clean && cost.extra <= FILTER_GOAL_MICROS,
      gap: `${(cost.extra - FILTER_GOAL_MICROS).toFixed(1)} µs over`,
    },
  ];
}

export function filtersSection(results: Results): string[] {
  const filters = results.filters;
  const product = results.relay.product?.rates.find((figures) => figures.rate === filters?.rate);
  if (!filters || !product?.cpuPerMessage) return [];
  const cell = (value: Record<string, Parameters<typeof fmtSpread>[0]>, role: string) => (value[role] ? fmtSpread(value[role]!, (x) => x.toFixed(1)) : '–');
  const cost = filterCost(results);
  return [
    `### Content filters on, at ${fmtRate(filters.rate)} msg/s`,
    '',
    `The product again, its gateways with every built-in filter refusing (\`FILTER_LINKS\`, \`FILTER_CONTACTS\` for the whole chat,`,
    `a ${filters.words}-word \`FILTER_WORDS_FILE\`, \`FILTER_REPEAT\`; bench/src/filters-case.ts), ${filters.runs.length}× at the rate of the CPU table above.`,
    'The messages are ordinary text that no filter refuses, so every one is checked and delivered.',
    '',
    '| product | servers µs | Redis µs | load generators µs | p99 ms | lost |',
    '| --- | --- | --- | --- | --- | --- |',
    `| filters off (the runs above) | ${cell(product.cpuPerMessage, 'servers')} | ${cell(product.cpuPerMessage, 'redis')} | ${cell(product.cpuPerMessage, 'load')} | ${fmtSpread(product.p99)} | ${product.lost} |`,
    `| filters on | ${cell(filters.cpuPerMessage, 'servers')} | ${cell(filters.cpuPerMessage, 'redis')} | ${cell(filters.cpuPerMessage, 'load')} | ${fmtSpread(filters.p99)} | ${filters.lost} |`,
    '',
    cost ? `The filters add **${cost.extra.toFixed(1)} µs** of gateway CPU per message (medians; the spread of each row is the run-to-run noise).` : '',
    '',
  ];
}
