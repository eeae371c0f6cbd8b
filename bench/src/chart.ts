import type { RelayFigures } from './relay-case.js';
import { systemLabels, type SystemName } from './systems.js';

const COLORS: Record<SystemName, string> = {
  product: '#d9480f',
  'bare-ws': '#868e96',
  'ws-redis': '#1c7ed6',
  socketio: '#37b24d',
};

function escape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/**
 * A small hand-made SVG: left, p99 relay latency per rate and system (log scale, median of
 * the repetitions, whiskers = min–max); right, the maximum sustained rate per system.
 */
export function relayChart(relay: Partial<Record<SystemName, RelayFigures>>, rates: number[], p99LimitMs: number): string {
  const systems = (Object.keys(relay) as SystemName[]).filter((name) => relay[name]);
  const width = 980;
  const height = 380;
  const left = { x: 60, y: 40, w: 520, h: 270 };
  const right = { x: 700, y: 40, w: 250, h: 270 };
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`);
  out.push(`<rect width="${width}" height="${height}" fill="#fff"/>`);
  out.push(`<text x="${left.x}" y="22" font-size="14" font-weight="bold">Cross-gateway relay: p99 latency (ms, log scale)</text>`);
  out.push(`<text x="${right.x - 90}" y="22" font-size="14" font-weight="bold">Max sustained rate, p99 &lt; ${p99LimitMs} ms (msg/s)</text>`);

  // Left panel: log10 scale from 0.1 ms to 10 s.
  const minLog = -1;
  const maxLog = 4;
  const yOf = (ms: number) => left.y + left.h - ((Math.log10(Math.max(ms, 0.1)) - minLog) / (maxLog - minLog)) * left.h;
  for (let power = minLog; power <= maxLog; power++) {
    const y = yOf(10 ** power);
    out.push(`<line x1="${left.x}" x2="${left.x + left.w}" y1="${y}" y2="${y}" stroke="#e9ecef"/>`);
    out.push(`<text x="${left.x - 6}" y="${y + 4}" text-anchor="end">${10 ** power >= 1 ? 10 ** power : '0.1'}</text>`);
  }
  const limitY = yOf(p99LimitMs);
  out.push(`<line x1="${left.x}" x2="${left.x + left.w}" y1="${limitY}" y2="${limitY}" stroke="#c92a2a" stroke-dasharray="4 3"/>`);
  out.push(`<text x="${left.x + left.w - 2}" y="${limitY - 4}" text-anchor="end" fill="#c92a2a">${p99LimitMs} ms</text>`);
  const groupW = left.w / rates.length;
  const barW = Math.min(28, (groupW - 20) / Math.max(1, systems.length));
  rates.forEach((rate, group) => {
    const gx = left.x + group * groupW + (groupW - barW * systems.length) / 2;
    out.push(`<text x="${left.x + group * groupW + groupW / 2}" y="${left.y + left.h + 18}" text-anchor="middle">${rate >= 1000 ? `${rate / 1000} k` : rate}/s</text>`);
    systems.forEach((name, index) => {
      const x = gx + index * barW;
      const figures = relay[name]!.rates.find((one) => one.rate === rate);
      if (!figures) {
        out.push(`<text x="${x + barW / 2}" y="${left.y + left.h - 4}" text-anchor="middle" fill="${COLORS[name]}">×</text>`);
        return;
      }
      const y = yOf(figures.p99.median);
      out.push(`<rect x="${x + 1}" y="${y}" width="${barW - 2}" height="${left.y + left.h - y}" fill="${COLORS[name]}"><title>${escape(systemLabels[name])} ${rate}/s p99 ${figures.p99.median.toFixed(2)} ms</title></rect>`);
      if (figures.p99.n > 1) {
        const cx = x + barW / 2;
        out.push(`<line x1="${cx}" x2="${cx}" y1="${yOf(figures.p99.min)}" y2="${yOf(figures.p99.max)}" stroke="#212529"/>`);
      }
    });
  });
  out.push(`<line x1="${left.x}" x2="${left.x}" y1="${left.y}" y2="${left.y + left.h}" stroke="#495057"/>`);
  out.push(`<line x1="${left.x}" x2="${left.x + left.w}" y1="${left.y + left.h}" y2="${left.y + left.h}" stroke="#495057"/>`);

  // Right panel: horizontal bars.
  const maxima = systems.map((name) => relay[name]!.maxRate);
  const top = Math.max(1, ...maxima.map((one) => (Number.isFinite(one.max) ? one.max : 0)));
  const rowH = right.h / Math.max(1, systems.length);
  systems.forEach((name, index) => {
    const value = relay[name]!.maxRate;
    const y = right.y + index * rowH + rowH * 0.2;
    const w = Number.isFinite(value.median) ? (value.median / top) * right.w : 0;
    out.push(`<rect x="${right.x}" y="${y}" width="${w}" height="${rowH * 0.5}" fill="${COLORS[name]}"/>`);
    if (value.n > 1) {
      const wy = y + rowH * 0.25;
      out.push(`<line x1="${right.x + (value.min / top) * right.w}" x2="${right.x + (value.max / top) * right.w}" y1="${wy}" y2="${wy}" stroke="#212529"/>`);
    }
    const text = Number.isFinite(value.median) ? `${(value.median / 1000).toFixed(1)} k` : '–';
    out.push(`<text x="${right.x + w + 4}" y="${y + rowH * 0.35}" >${text}</text>`);
  });
  // Legend.
  systems.forEach((name, index) => {
    const x = left.x + index * 230;
    out.push(`<rect x="${x}" y="${height - 30}" width="12" height="12" fill="${COLORS[name]}"/>`);
    out.push(`<text x="${x + 16}" y="${height - 20}">${escape(systemLabels[name])}</text>`);
  });
  out.push('</svg>');
  return out.join('\n');
}
