import type { ConnectionFigures } from './connections-case.js';
import type { FiltersFigures } from './filters-case.js';
import type { ProfileSummary } from './cpu-profile.js';
import type { MatcherFigures } from './matcher-case.js';
import type { PairingFigures } from './pairing-case.js';
import type { Profile } from './profile-options.js';
import type { RelayFigures } from './relay-case.js';
import type { ResumeFigures } from './resume-case.js';
import type { SystemName } from './systems.js';

export interface Machine {
  nproc: number;
  cpu: string;
  node: string;
  redis: string;
  os: string;
  openFiles: string;
  /** 1-minute load average when the run started and when it ended: other work on the box skews figures. */
  loadStart: number;
  loadEnd?: number;
}

/** Everything one `npm run bench` measured; report.ts turns it into BENCHMARKS.md. */
export interface Results {
  command: string;
  date: string;
  durationSeconds: number;
  machine: Machine;
  profile: Profile;
  relay: Partial<Record<SystemName, RelayFigures>>;
  /** The product's relay with every built-in content filter on (filters-case.ts). */
  filters?: FiltersFigures;
  pairing?: PairingFigures;
  connections: ConnectionFigures[];
  matcher?: MatcherFigures;
  resume?: ResumeFigures;
  cpuProfile?: { rate: number; summaries: ProfileSummary[] };
}
