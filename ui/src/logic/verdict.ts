// What the result screen says first, derived from a verified history.
import type { History, Severity, Status, StepView, Warning } from "../api";

/** Every verdict, mildest first. */
const STATUSES: readonly Status[] = ["verified", "warning", "unverifiable", "failed"];

/** A stored status word as a verdict (an unknown one is read as not verified). */
export function asStatus(s: string): Status {
  return STATUSES.find((x) => x === s) ?? "failed";
}

const rank: Record<Severity, number> = { failed: 0, unverifiable: 1, warning: 2, info: 3 };

/** Warnings in the order a shopper should read them: the most serious first, then as given. */
export function orderedWarnings(ws: Warning[]): Warning[] {
  return ws
    .map((w, i) => ({ w, i }))
    .sort((a, b) => rank[a.w.severity] - rank[b.w.severity] || a.i - b.i)
    .map(({ w }) => w);
}

export type Sentence =
  | `verdict_${Status}`
  | "verdict_recalled" | "verdict_copy" | "verdict_cold" | "verdict_fake" | "verdict_lookalike"
  | "verdict_forged_label";

/** The sentences that say a verdict's most serious warning more plainly than its status does. */
const GIST: Partial<Record<Status, ReadonlyMap<string, Sentence>>> = {
  warning: new Map<string, Sentence>([
    ["recalled", "verdict_recalled"],
    ["already_sold", "verdict_copy"],
    ["cold_chain_excursion", "verdict_cold"],
    ["unregistered_resolver", "verdict_lookalike"],
  ]),
  failed: new Map<string, Sentence>([
    ["unknown_serial", "verdict_fake"],
    ["label_forged", "verdict_forged_label"],
  ]),
};

/** What the verdict's one sentence says: the most serious warning's gist if it has one, else the
 *  status's own sentence. */
export function verdictSentence(h: History): Sentence {
  const first = orderedWarnings(h.warnings).find((w) => w.severity !== "info");
  return (first && GIST[h.status]?.get(first.code)) ?? `verdict_${h.status}`;
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
