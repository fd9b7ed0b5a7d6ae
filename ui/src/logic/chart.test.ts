import { describe, expect, it } from "vitest";
import { history, step } from "../test/fixtures";
import { chart } from "./chart";

describe("cold-chain chart", () => {
  it("has nothing to draw without readings", () => {
    expect(chart(history())).toBeNull();
  });

  it("orders readings in time, marks excursions and draws the safe band", () => {
    const h = history({
      cold_chain: { min: -1, max: 2 },
      steps: [
        step({ temperatures: [{ time: "2026-03-02T10:00:00Z", celsius: 7.5, excursion: true }] }),
        step({ temperatures: [{ time: "2026-03-02T08:00:00Z", celsius: 0.5, excursion: false }] }),
      ],
    });
    const c = chart(h, 300, 100, 10);
    expect(c).not.toBeNull();
    if (!c) return;
    expect(c.points.map((p) => p.celsius)).toEqual([0.5, 7.5]);
    expect(c.points.map((p) => p.excursion)).toEqual([false, true]);
    // Hotter is higher on the chart (smaller y), and the excursion is above the band's top.
    expect(c.points[1].y).toBeLessThan(c.points[0].y);
    expect(c.band).not.toBeNull();
    expect(c.points[1].y).toBeLessThan(c.band?.top ?? 0);
    expect(c.points[0].y).toBeGreaterThan(c.band?.top ?? 0);
    expect(c.points[0].y).toBeLessThan(c.band?.bottom ?? 0);
    expect(c.path.startsWith("M10,")).toBe(true);
    expect(c.ticks.length).toBeGreaterThan(1);
    expect(c.min).toBeLessThanOrEqual(-1);
    expect(c.max).toBeGreaterThanOrEqual(7.5);
  });

  it("centres a single reading", () => {
    const c = chart(history({ steps: [step({ temperatures: [{ time: null, celsius: 4, excursion: false }] })] }), 200);
    expect(c?.points[0].x).toBe(100);
    expect((c?.max ?? 0) - (c?.min ?? 0)).toBeGreaterThanOrEqual(4);
  });
});
