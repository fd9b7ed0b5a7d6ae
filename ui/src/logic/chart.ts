// The cold-chain chart's geometry (the SVG is drawn from this): every reading of the history in
// time order, the safe range as a band, excursions marked.
import type { History } from "../api";

export interface Point { x: number; y: number; celsius: number; time: string | null; excursion: boolean }
export interface Chart {
  width: number;
  height: number;
  points: Point[];
  /** The safe band's top and bottom (y), if the policy sets a range. */
  band: { top: number; bottom: number } | null;
  /** Temperature at the top and bottom of the plot. */
  max: number;
  min: number;
  /** Gridline temperatures. */
  ticks: number[];
  path: string;
}

export function chart(h: History, width = 320, height = 140, pad = 16): Chart | null {
  const readings = h.steps
    .flatMap((s) => s.temperatures.map((t) => ({ ...t, stepTime: s.time })))
    .map((r) => ({ ...r, at: Date.parse(r.time ?? r.stepTime) }))
    .filter((r) => Number.isFinite(r.celsius))
    .sort((a, b) => (a.at || 0) - (b.at || 0));
  if (readings.length === 0) return null;
  const values = readings.map((r) => r.celsius);
  if (h.cold_chain) values.push(h.cold_chain.min, h.cold_chain.max);
  let min = Math.floor(Math.min(...values) - 1);
  let max = Math.ceil(Math.max(...values) + 1);
  if (max - min < 4) {
    const mid = (max + min) / 2;
    min = Math.floor(mid - 2);
    max = Math.ceil(mid + 2);
  }
  const y = (c: number) => pad + ((max - c) / (max - min)) * (height - 2 * pad);
  const n = readings.length;
  const x = (i: number) => (n === 1 ? width / 2 : pad + (i / (n - 1)) * (width - 2 * pad));
  const points = readings.map((r, i) => ({
    x: round(x(i)),
    y: round(y(r.celsius)),
    celsius: r.celsius,
    time: r.time ?? r.stepTime,
    excursion: r.excursion,
  }));
  const step = niceStep(max - min);
  const ticks: number[] = [];
  for (let v = Math.ceil(min / step) * step; v <= max; v += step) ticks.push(round(v));
  return {
    width,
    height,
    points,
    band: h.cold_chain ? { top: round(y(h.cold_chain.max)), bottom: round(y(h.cold_chain.min)) } : null,
    max,
    min,
    ticks,
    path: points.map((p, i) => `${i === 0 ? "M" : "L"}${p.x},${p.y}`).join(" "),
  };
}

function niceStep(span: number): number {
  for (const s of [1, 2, 5, 10, 20, 50]) if (span / s <= 6) return s;
  return 100;
}

function round(v: number): number {
  return Math.round(v * 10) / 10;
}
