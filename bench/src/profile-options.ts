/** How big each case is: the full run (< 10 minutes) or the smoke run (< 30 s, proves the harness works). */
export interface Profile {
  smoke: boolean;
  loaders: number;
  relay: {
    pairs: number;
    rates: number[];
    reps: number;
    warmupMs: number;
    durationMs: number;
    drainMs: number;
    /** Bisection steps of the max-rate search (0 = no search). */
    searchSteps: number;
    searchReps: number;
    p99LimitMs: number;
  };
  pairing: { burstClients: number; burstReps: number; joinRates: number[]; joinReps: number; warmupMs: number; durationMs: number; pool: number };
  connections: { steps: number[]; reps: number; loaders: number };
  /** The matcher alone (matcher-case.ts): a backlog for pairs/s, then fixed join rates. */
  matcher: { backlogPairs: number; backlogReps: number; joinRates: number[]; joinReps: number; warmupMs: number; durationMs: number };
  /**
   * Resume after a gateway's kill -9 (resume-case.ts): pairs across the two gateways, each
   * client sending `ratePerClient` msg/s; the kill comes `beforeKillMs` into the traffic.
   */
  resume: { pairs: number; ratePerClient: number; beforeKillMs: number; afterResumeMs: number; drainMs: number; resumeTimeoutMs: number; reps: number };
  profileSeconds: number;
}

export const fullProfile: Profile = {
  smoke: false,
  loaders: 2,
  relay: {
    pairs: 1000,
    rates: [1000, 5000, 10_000, 20_000],
    reps: 3,
    warmupMs: 500,
    durationMs: 2000,
    drainMs: 2000,
    searchSteps: 3,
    searchReps: 3,
    p99LimitMs: 50,
  },
  pairing: { burstClients: 4000, burstReps: 3, joinRates: [500, 2000], joinReps: 3, warmupMs: 300, durationMs: 2000, pool: 1000 },
  connections: { steps: [5000, 10_000, 18_000], reps: 3, loaders: 3 },
  matcher: { backlogPairs: 20_000, backlogReps: 3, joinRates: [1000, 2000, 10_000], joinReps: 3, warmupMs: 500, durationMs: 3000 },
  resume: { pairs: 100, ratePerClient: 5, beforeKillMs: 2000, afterResumeMs: 1000, drainMs: 5000, resumeTimeoutMs: 30_000, reps: 3 },
  profileSeconds: 4,
};

export const smokeProfile: Profile = {
  smoke: true,
  loaders: 2,
  relay: { pairs: 10, rates: [300], reps: 1, warmupMs: 100, durationMs: 300, drainMs: 1000, searchSteps: 1, searchReps: 1, p99LimitMs: 50 },
  pairing: { burstClients: 40, burstReps: 1, joinRates: [100], joinReps: 1, warmupMs: 100, durationMs: 300, pool: 40 },
  connections: { steps: [50, 100], reps: 1, loaders: 2 },
  matcher: { backlogPairs: 200, backlogReps: 1, joinRates: [200], joinReps: 1, warmupMs: 100, durationMs: 300 },
  resume: { pairs: 5, ratePerClient: 5, beforeKillMs: 500, afterResumeMs: 300, drainMs: 3000, resumeTimeoutMs: 30_000, reps: 1 },
  profileSeconds: 0,
};
