/**
 * Counts operations under way (a session's messages sent to Redis and not answered yet) and
 * lets a caller wait until none is: the 1008 cut flushes every ack before it closes.
 */
export class InFlight {
  private count = 0;
  private onIdle: (() => void) | undefined;

  begin(): void {
    this.count++;
  }

  end(): void {
    if (--this.count > 0) return;
    const idle = this.onIdle;
    this.onIdle = undefined;
    idle?.();
  }

  /** Resolves once every operation begun so far has ended. */
  settled(): Promise<void> {
    if (this.count === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const previous = this.onIdle;
      this.onIdle = () => {
        previous?.();
        resolve();
      };
    });
  }
}
