// The handoff form's logic: which fields a step needs, the list of scanned items, and the
// handoff sent to the Rust side (which adds the time and signs it).
import type { Decoded, HandoffInput, Step } from "../api";

/** The steps the warehouse screen offers, in order. */
export const STEPS: Step[] = ["receive", "ship", "pack", "unpack", "transform", "sell"];

/** The CBV business step a device must be certified for to record `step`. */
export const BIZ_STEP: Record<Step, string> = {
  commission: "commissioning",
  ship: "shipping",
  receive: "receiving",
  pack: "packing",
  unpack: "unpacking",
  transform: "creating_class_instance",
  store: "storing",
  transport: "transporting",
  sell: "retail_selling",
  recall: "holding",
  inspect: "inspecting",
};

export interface Form {
  step: Step;
  items: string[];
  parent: string;
  outputs: string[];
  place: string;
  counterparty: string;
  readings: { celsius: string; time: string }[];
}

export function emptyForm(step: Step = "receive"): Form {
  return { step, items: [], parent: "", outputs: [], place: "", counterparty: "", readings: [] };
}

export const needsParent = (s: Step) => s === "pack" || s === "unpack";
export const needsOutputs = (s: Step) => s === "transform";
export const needsCounterparty = (s: Step) => s === "ship";
export const takesCounterparty = (s: Step) => s === "ship" || s === "receive";

/** Adds a scanned or typed code to a list unless it is there already; null if it is not a
 * product, case or pallet code. */
/** Adds a scanned code to a list once, keeping its label's secret (the event is then sealed for
 * that label); the same product scanned without its label is not added twice. */
export function addCode(list: string[], d: Pick<Decoded, "product" | "label">): string[] | null {
  const code = d.label ?? d.product;
  if (!code) return null;
  const key = withoutLabel(code);
  return list.some((x) => withoutLabel(x) === key) ? list : [...list, code];
}

/** A code as shown: without its label's secret (the `tk` parameter), which is not for display. */
export function withoutLabel(code: string): string {
  const [base, query] = code.split("?", 2);
  if (query === undefined) return code;
  const rest = query.split("&").filter((p) => p !== "" && !p.startsWith("tk="));
  return rest.length ? `${base}?${rest.join("&")}` : base;
}

export type Problem =
  | "no_items" | "no_parent" | "no_outputs" | "no_place" | "no_counterparty" | "bad_reading";

/** What is missing before the handoff can be signed (empty: ready). */
export function problems(f: Form): Problem[] {
  const out: Problem[] = [];
  if (f.items.length === 0) out.push("no_items");
  if (needsParent(f.step) && !f.parent.trim()) out.push("no_parent");
  if (needsOutputs(f.step) && f.outputs.length === 0) out.push("no_outputs");
  if (!f.place) out.push("no_place");
  if (needsCounterparty(f.step) && !f.counterparty) out.push("no_counterparty");
  if (f.readings.some((r) => !isCelsius(r.celsius) || Number.isNaN(Date.parse(r.time)))) out.push("bad_reading");
  return out;
}

export function isCelsius(s: string): boolean {
  const v = Number(s.replace(",", "."));
  return s.trim() !== "" && Number.isFinite(v) && v > -100 && v < 100;
}

/** The handoff for the Rust side (no time: it is signed with the device's clock). */
export function toHandoff(f: Form, org: string): HandoffInput {
  return {
    step: f.step,
    items: f.items,
    quantities: [],
    parent: needsParent(f.step) ? f.parent.trim() : null,
    outputs: needsOutputs(f.step) ? f.outputs : [],
    output_quantities: [],
    place: f.place,
    org,
    counterparty: takesCounterparty(f.step) && f.counterparty ? f.counterparty : null,
    documents: [],
    readings: f.readings.map((r) => ({
      celsius: Number(r.celsius.replace(",", ".")),
      time: new Date(Date.parse(r.time)).toISOString(),
    })),
    ilmd: {},
  };
}

/** Steps this device may record with its certification's roles. */
export function allowedSteps(roles: string[]): Step[] {
  return STEPS.filter((s) => roles.includes(BIZ_STEP[s]));
}
