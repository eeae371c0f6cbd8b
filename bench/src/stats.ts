import * as hdr from 'hdr-histogram-js';

/** The median of repeated figures and their spread. */
export interface Spread {
  median: number;
  min: number;
  max: number;
  n: number;
}

export function spread(values: number[]): Spread {
  const sorted = [...values].sort((x, y) => x - y);
  const n = sorted.length;
  if (n === 0) return { median: Number.NaN, min: Number.NaN, max: Number.NaN, n };
  const median = n % 2 === 1 ? sorted[(n - 1) / 2]! : (sorted[n / 2 - 1]! + sorted[n / 2]!) / 2;
  return { median, min: sorted[0]!, max: sorted[n - 1]!, n };
}

/** The nearest-rank quantile `q` (0–1) of raw values; NaN for none. */
export function quantile(values: number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((x, y) => x - y);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

/** Merges histograms from several loaders (compressed base64) into one. */
export function mergeHistograms(encoded: string[]): hdr.Histogram {
  const total = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 120_000_000, numberOfSignificantValueDigits: 3 });
  for (const one of encoded) total.add(hdr.decodeFromCompressedBase64(one));
  return total;
}

/** Percentiles in milliseconds from a µs histogram. */
export function percentilesMs(histogram: hdr.Histogram): { p50: number; p99: number; p999: number; count: number } {
  return {
    p50: histogram.getValueAtPercentile(50) / 1000,
    p99: histogram.getValueAtPercentile(99) / 1000,
    p999: histogram.getValueAtPercentile(99.9) / 1000,
    count: histogram.totalCount,
  };
}

export function fmtMs(value: number): string {
  if (!Number.isFinite(value)) return '–';
  if (value >= 100) return value.toFixed(0);
  if (value >= 10) return value.toFixed(1);
  return value.toFixed(2);
}

/** "1.23 (1.10–1.40)" — the median with the min–max of the repetitions. */
export function fmtSpread(value: Spread, format: (x: number) => string = fmtMs): string {
  if (value.n === 0) return '–';
  if (value.n === 1) return format(value.median);
  return `${format(value.median)} (${format(value.min)}–${format(value.max)})`;
}

export function fmtRate(value: number): string {
  if (!Number.isFinite(value)) return '–';
  return value >= 1000 ? `${(value / 1000).toFixed(1)} k` : value.toFixed(0);
}
