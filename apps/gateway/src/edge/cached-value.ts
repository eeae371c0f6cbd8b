/**
 * A value read at most once per `ttlMs`: every request in that time gets the same answer,
 * and requests while a read is in flight share it. So a burst of requests costs one read.
 */
export class CachedValue<T> {
  private value: { at: number; promise: Promise<T> } | undefined;

  constructor(
    private readonly ttlMs: number,
    private readonly read: () => Promise<T>,
  ) {}

  get(now = Date.now()): Promise<T> {
    if (this.value && now - this.value.at < this.ttlMs) return this.value.promise;
    const promise = this.read();
    const entry = { at: now, promise };
    this.value = entry;
    // A failed read is not cached: the next request tries again.
    promise.catch(() => {
      if (this.value === entry) this.value = undefined;
    });
    return promise;
  }
}
