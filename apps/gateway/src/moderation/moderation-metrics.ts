import { Counter } from 'prom-client';
import { registry } from '../metrics.js';

/** The gateway's moderation counters, on the gateway's `/metrics` registry. */
export const moderationMetrics = {
  reports: new Counter({
    name: 'strangers_gateway_reports_total',
    help: 'Reports received on this gateway, by outcome: recorded (with evidence) or failed (the chat still ended)',
    labelNames: ['outcome'] as const,
    registers: [registry],
  }),
  bansEnforced: new Counter({
    name: 'strangers_gateway_bans_enforced_total',
    help: 'Banned clients refused or cut on this gateway: on connect, on resume, or a live session ended by a new ban; in the room, refused on connect (room) or cut by a new ban (room_live)',
    labelNames: ['where'] as const,
    registers: [registry],
  }),
};

for (const outcome of ['recorded', 'failed']) moderationMetrics.reports.inc({ outcome }, 0);
for (const where of ['connect', 'resume', 'live', 'room', 'room_live']) moderationMetrics.bansEnforced.inc({ where }, 0);
