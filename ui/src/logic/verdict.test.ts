import { describe, expect, it } from "vitest";
import type { Warning } from "../api";
import { history, step } from "../test/fixtures";
import { cachedAge, coldChainSteps, hasExcursion, orderedWarnings, productParts, warningsOfStep } from "./verdict";

const w = (code: string, severity: Warning["severity"], stepIndex: number | null = null): Warning =>
  ({ code, severity, text: code, bookkeeper: null, step: stepIndex, params: {} });

describe("verdict", () => {
  it("puts critical warnings first and keeps the order otherwise", () => {
    const ws = [w("partly_reachable", "info"), w("cold_chain_excursion", "warning"), w("recalled", "critical"), w("already_sold", "warning")];
    expect(orderedWarnings(ws).map((x) => x.code)).toEqual(["recalled", "cold_chain_excursion", "already_sold", "partly_reachable"]);
  });

  it("reads GTIN, lot (percent-decoded) and serial from a product key", () => {
    expect(productParts(history().product)).toEqual({ gtin: "09506000134352", lot: "LOT/1", serial: "77" });
    expect(productParts("https://id.gs1.org/01/09506000134352/10/L1")).toEqual({ gtin: "09506000134352", lot: "L1" });
  });

  it("gives a cached answer's age and none for a live one", () => {
    expect(cachedAge(history({ source: "cached", checked_at: 100 }), 160)).toBe(60);
    expect(cachedAge(history(), 160)).toBeNull();
  });

  it("finds cold-chain steps, excursions and a step's warnings", () => {
    const h = history({
      steps: [step(), step({ temperatures: [{ time: null, celsius: 9, excursion: true }] })],
      warnings: [w("cold_chain_excursion", "warning", 1), w("partly_reachable", "info")],
    });
    expect(coldChainSteps(h)).toHaveLength(1);
    expect(hasExcursion(h)).toBe(true);
    expect(hasExcursion(history())).toBe(false);
    expect(warningsOfStep(h, 1).map((x) => x.code)).toEqual(["cold_chain_excursion"]);
    expect(warningsOfStep(h, 0)).toEqual([]);
  });
});
