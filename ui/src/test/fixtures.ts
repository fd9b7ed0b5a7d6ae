import type { History, StepView } from "../api";

export function step(over: Partial<StepView> = {}): StepView {
  return {
    stage: "shipping",
    biz_step: "shipping",
    disposition: "in_transit",
    event_type: "ObjectEvent",
    time: "2026-03-02T08:00:00Z",
    org: "Org 1",
    authority: false,
    org_country: "NZ",
    org_gln: "9506000000005",
    place: "9506000000012",
    details: [],
    withheld: 0,
    temperatures: [],
    flagged: false,
    evidence: { entry: "leaf", hash_id: "ni:///sha-256;00", signer: "device-1+abcd+AQ", bookkeepers: ["bk1", "bk2"], event: "{}" },
    ...over,
  };
}

export function history(over: Partial<History> = {}): History {
  return {
    product: "https://id.gs1.org/01/09506000134352/10/LOT%2F1/21/77?17=281130",
    status: "verified",
    source: "live",
    checked_at: 1_780_000_000,
    warnings: [],
    steps: [step()],
    cold_chain: null,
    bookkeepers: [],
    quorum: [2, 3],
    reasons: [],
    label: { state: "unsigned" },
    ...over,
  };
}
