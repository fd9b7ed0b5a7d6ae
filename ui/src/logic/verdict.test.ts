import { describe, expect, it } from "vitest";
import type { Warning } from "../api";
import { history, step } from "../test/fixtures";
import { asStatus, cachedAge, coldChainSteps, hasExcursion, orderedWarnings, productParts, provenBy, verdictSentence, warningsOfStep } from "./verdict";

const w = (code: string, severity: Warning["severity"], stepIndex: number | null = null): Warning =>
  ({ code, severity, text: code, bookkeeper: null, step: stepIndex, params: {} });

describe("verdict", () => {
  it("puts critical warnings first and keeps the order otherwise", () => {
    const ws = [w("partly_reachable", "info"), w("cold_chain_excursion", "warning"), w("no_history", "failed"), w("already_sold", "warning")];
    expect(orderedWarnings(ws).map((x) => x.code)).toEqual(["no_history", "cold_chain_excursion", "already_sold", "partly_reachable"]);
  });

  it("puts could-not-check between evidence of a fake and a warning", () => {
    const ws = [w("lot_only", "info"), w("set_aside", "warning"), w("too_few_bookkeepers", "unverifiable"), w("unknown_serial", "failed")];
    expect(orderedWarnings(ws).map((x) => x.code)).toEqual(["unknown_serial", "too_few_bookkeepers", "set_aside", "lot_only"]);
  });

  it("says a forged label plainly, and a forged one outweighs a copy", () => {
    const forged = history({ status: "failed", warnings: [w("already_sold", "warning"), w("label_forged", "failed")] });
    expect(verdictSentence(forged)).toBe("verdict_forged_label");
  });

  it("says could-not-check apart from not verified", () => {
    const h = history({ status: "unverifiable", warnings: [w("log_unreachable", "info"), w("too_few_bookkeepers", "unverifiable")] });
    expect(verdictSentence(h)).toBe("verdict_unverifiable");
    expect(verdictSentence(history({ status: "unverifiable" }))).toBe("verdict_unverifiable");
  });

  it("says a made-up serial is likely a fake, and other failures plainly", () => {
    const failed = (...ws: Warning[]) => verdictSentence(history({ status: "failed", warnings: ws }));
    expect(failed(w("lot_only", "info"), w("unknown_serial", "failed"))).toBe("verdict_fake");
    expect(failed(w("bad_signature", "failed"), w("unknown_serial", "failed"))).toBe("verdict_failed");
    expect(failed(w("no_history", "failed"))).toBe("verdict_failed");
  });

  it("says a link to an unregistered website may be a fake label", () => {
    const warn = (...ws: Warning[]) => verdictSentence(history({ status: "warning", warnings: ws }));
    expect(warn(w("log_omitted", "info"), w("unregistered_resolver", "warning"))).toBe("verdict_lookalike");
    expect(warn(w("set_aside", "warning"), w("unregistered_resolver", "warning"))).toBe("verdict_warning");
    // A gist belongs to its status: a warning's code does not reword a failure.
    expect(verdictSentence(history({ status: "failed", warnings: [w("unregistered_resolver", "warning")] }))).toBe("verdict_failed");
  });

  it("reads a stored status word, an unknown one as not verified", () => {
    expect(asStatus("unverifiable")).toBe("unverifiable");
    expect(asStatus("verified")).toBe("verified");
    expect(asStatus("constructor")).toBe("failed");
  });

  it("says a warning's gist in the verdict's sentence", () => {
    expect(verdictSentence(history())).toBe("verdict_verified");
    expect(verdictSentence(history({ status: "failed" }))).toBe("verdict_failed");
    const warn = (...ws: Warning[]) => verdictSentence(history({ status: "warning", warnings: ws }));
    expect(warn(w("partly_reachable", "info"), w("recalled", "warning"))).toBe("verdict_recalled");
    expect(warn(w("already_sold", "warning"))).toBe("verdict_copy");
    expect(warn(w("cold_chain_excursion", "warning"))).toBe("verdict_cold");
    expect(warn(w("below_quorum", "warning"))).toBe("verdict_warning");
  });

  it("counts the bookkeepers whose logs proved the history, not the policy's minimum", () => {
    const bk = (name: string, used: boolean) =>
      ({ name, operator: name, reachable: true, problem: null, checkpoint_size: 10, cosigners: [], used, ms: 3 });
    expect(provenBy(history({ bookkeepers: [bk("a", true), bk("b", true), bk("c", true)] }))).toBe(3);
    expect(provenBy(history({ bookkeepers: [bk("a", true), bk("b", false), bk("c", true)] }))).toBe(2);
    expect(provenBy(history({ bookkeepers: [] }))).toBe(2);
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
