// What the result screen says first, derived from a verified history.
import type { History, Severity, StepView, Warning } from "../api";

const rank: Record<Severity, number> = { failed: 0, warning: 1, info: 2 };

/** Warnings in the order a shopper should read them: the most serious first, then as given. */
export function orderedWarnings(ws: Warning[]): Warning[] {
  return ws
    .map((w, i) => ({ w, i }))
    .sort((a, b) => rank[a.w.severity] - rank[b.w.severity] || a.i - b.i)
    .map(({ w }) => w);
}

/** What the verdict's one sentence says: for a warning, the most serious warning's gist. */
export function verdictSentence(h: History): "verdict_verified" | "verdict_warning" | "verdict_failed" | "verdict_recalled" | "verdict_copy" | "verdict_cold" {
  if (h.status === "verified") return "verdict_verified";
  if (h.status === "failed") return "verdict_failed";
  const first = orderedWarnings(h.warnings).find((w) => w.severity !== "info");
  switch (first?.code) {
    case "recalled": return "verdict_recalled";
    case "already_sold": return "verdict_copy";
    case "cold_chain_excursion": return "verdict_cold";
    default: return "verdict_warning";
  }
}

/** How many bookkeepers' logs proved this history (the policy's quorum if none is reported): the
 *  verdict says "recorded by 3 of 3", not the minimum the policy asks for. */
export function provenBy(h: History): number {
  const used = h.bookkeepers.filter((b) => b.used).length;
  return used > 0 ? used : h.quorum[0];
}

/** The steps of a history that carry temperature readings. */
export function coldChainSteps(h: History): StepView[] {
  return h.steps.filter((s) => s.temperatures.length > 0);
}

/** Whether any reading of the history left the safe range (or raised an alarm). */
export function hasExcursion(h: History): boolean {
  return h.steps.some((s) => s.temperatures.some((t) => t.excursion));
}

/** The age of a cached answer in seconds, or null for a live one. */
export function cachedAge(h: History, now: number): number | null {
  return h.source === "cached" ? Math.max(0, now - h.checked_at) : null;
}

/** The warnings that concern one step of the timeline. */
export function warningsOfStep(h: History, index: number): Warning[] {
  return h.warnings.filter((w) => w.step === index);
}

/** The product key's parts a shopper can read: GTIN, lot, serial. */
export function productParts(uri: string): { gtin?: string; lot?: string; serial?: string } {
  const path = uri.replace(/^https?:\/\/[^/]+/, "").split("?")[0] ?? "";
  const parts = path.split("/").filter(Boolean);
  const out: { gtin?: string; lot?: string; serial?: string } = {};
  for (let i = 0; i + 1 < parts.length; i += 2) {
    const [ai, raw] = [parts[i], parts[i + 1] ?? ""];
    const value = decodeURIComponent(raw);
    if (ai === "01") out.gtin = value;
    else if (ai === "10") out.lot = value;
    else if (ai === "21") out.serial = value;
  }
  return out;
}
