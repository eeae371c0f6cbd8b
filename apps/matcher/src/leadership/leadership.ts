import type { Logger } from '@strangers/config';
import type { Lease } from './lease.js';

export type Role = 'standby' | 'active';

/** Shared by leadership and consumer: `/readyz` reads it. */
export interface Health {
  healthy: boolean;
}

/**
 * The role state machine. Every LEASE_RENEW_MS the leader renews its lease and a standby tries
 * to take it. Taking it starts a term: `runTerm(term)` (the consumer's loop) runs until the
 * lease is lost or the matcher stops; a new term starts only after the previous one ended.
 */
export class Leadership {
  role: Role = 'standby';
  /** Times this process took the lease. */
  takeovers = 0;
  private running = false;
  private ticking = false;
  private timer: NodeJS.Timeout | undefined;
  private term: Promise<void> | undefined;

  constructor(
    private readonly lease: Lease,
    private readonly renewMs: number,
    private readonly health: Health,
    private readonly logger: Logger,
    private readonly runTerm: (term: string | undefined) => Promise<void>,
  ) {}

  get active(): boolean {
    return this.role === 'active';
  }

  /** True while the term `term` is still ours to work in. */
  holds(term: string | undefined): boolean {
    return this.running && this.active && this.lease.value === term;
  }

  get stopping(): boolean {
    return !this.running;
  }

  /** Starts competing for the lease; resolves once the first attempt is done. */
  async start(): Promise<void> {
    this.running = true;
    this.logger.info({ role: 'standby' }, 'matcher standby');
    await this.tick();
    this.timer = setInterval(() => void this.tick(), this.renewMs);
  }

  /** Stops ticking; `beforeRelease` ends the term's I/O (it disconnects the reader) before the term is awaited. */
  async stop(beforeRelease: () => void): Promise<void> {
    this.running = false;
    clearInterval(this.timer);
    beforeRelease();
    await this.term;
    // A clean stop hands over at once instead of after the lease TTL.
    if (this.active) await this.lease.release().catch(() => undefined);
    this.role = 'standby';
  }

  stepDown(reason: string): void {
    if (!this.active) return;
    this.role = 'standby';
    this.lease.forget();
    this.logger.warn({ role: 'standby', reason }, 'matcher standby');
  }

  private async tick(): Promise<void> {
    if (this.ticking || !this.running) return;
    this.ticking = true;
    try {
      if (this.active) await this.renew();
      else {
        const acquired = await this.lease.tryAcquire();
        this.health.healthy = true;
        if (acquired) await this.takeOver();
      }
    } catch (error) {
      if (!this.active) this.health.healthy = false;
      this.logger.warn({ err: (error as Error).message }, 'lease attempt failed');
    } finally {
      this.ticking = false;
    }
  }

  private async renew(): Promise<void> {
    let renewed: boolean;
    try {
      renewed = await this.lease.renew();
    } catch (error) {
      // Redis unreachable: keep going while nobody else can have taken the lease.
      this.logger.warn({ err: (error as Error).message }, 'lease renewal failed');
      renewed = this.lease.fresh();
    }
    if (!renewed) this.stepDown('lease lost');
  }

  private async takeOver(): Promise<void> {
    await this.term; // a previous term's loop finishes before this one starts
    if (!this.running) return;
    this.role = 'active';
    this.takeovers += 1;
    this.logger.info({ role: 'active', token: this.lease.token }, 'matcher active');
    this.term = this.runTerm(this.lease.value);
  }
}
