// Typed wrappers over the app's Rust commands (src-tauri/src/commands.rs). The interface never
// talks to the network itself: every bookkeeper request is made on the Rust side.
import { Channel, invoke } from "@tauri-apps/api/core";

/** The verdict, mildest first: `unverifiable` is "too few bookkeepers could be checked", no evidence
 *  either way; only `failed` is evidence against the product. */
export type Status = "verified" | "warning" | "unverifiable" | "failed";
export type Source = "live" | "cached" | "offline";
export type Stage =
  | "origin" | "processing" | "packing" | "unpacking" | "shipping" | "receiving"
  | "import" | "cold_chain" | "retail" | "recall" | "inspection" | "other";
export type Severity = "info" | "warning" | "unverifiable" | "failed";

export interface Warning {
  code: string;
  severity: Severity;
  text: string;
  bookkeeper: string | null;
  step: number | null;
  params: Record<string, unknown>;
}

export interface Temperature { time: string | null; celsius: number; excursion: boolean }

export interface StepView {
  stage: Stage;
  biz_step: string | null;
  disposition: string | null;
  event_type: string;
  time: string;
  org: string | null;
  /** Signed by an authority: a device the network's governance itself certified. */
  authority: boolean;
  org_country: string | null;
  org_gln: string | null;
  place: string | null;
  details: [string, string][];
  /** Fields the brand keeps from label holders. */
  withheld: number;
  temperatures: Temperature[];
  flagged: boolean;
  evidence: { entry: string; hash_id: string; signer: string | null; bookkeepers: string[]; event: string };
}

export interface BookkeeperView {
  name: string;
  operator: string;
  reachable: boolean;
  problem: string | null;
  checkpoint_size: number | null;
  cosigners: string[];
  used: boolean;
  ms: number | null;
}

export interface History {
  product: string;
  status: Status;
  source: Source;
  checked_at: number;
  warnings: Warning[];
  steps: StepView[];
  cold_chain: { min: number; max: number } | null;
  bookkeepers: BookkeeperView[];
  quorum: [number, number];
  reasons: unknown[];
  label: LabelCheck;
}

/** What the label's own signature (GS1 AI 8030) says. */
export type LabelCheck =
  | { state: "unsigned" }
  | { state: "signed"; org: string; name: string }
  | { state: "signer_revoked"; org: string; name: string; since: string }
  | { state: "forged"; org: string; name: string }
  | { state: "malformed"; detail: string }
  | { state: "unchecked" };

export interface Certification { org: string; roles: string[]; places: string[]; valid_from: string; expires: string }
export interface DeviceInfo {
  name: string;
  public_key: string;
  unlocked: boolean;
  certification: Certification | null;
  certification_problem: string | null;
}

export interface AppStatus {
  policy: boolean;
  bookkeepers: { name: string; operator: string; url: string }[];
  quorum: [number, number];
  witness_threshold: number;
  role: string | null;
  lang: string | null;
  device: DeviceInfo | null;
  data_dir: string;
  /** The network seals its events and its registry. */
  confidential: boolean;
  /** This device holds the network's registry secret (a member's). */
  registry_secret: boolean;
}

/** `label`: the product key with its label's secret (`tk`), when the code carries one. */
export interface Decoded { text: string; kind: string; product: string | null; label?: string | null; problem: string | null }
export interface FrameResult { read: Decoded | null; others: Decoded[]; frames: number; fps: number }
export interface Scan { product: string; status: string; scanned_at: number }

export interface DirectoryOrg { gln: string; name: string; country: string; places: string[]; devices: number }
export interface Directory { checked_at: number; live: boolean; orgs: DirectoryOrg[]; below_quorum: number }

export type Step = "commission" | "ship" | "receive" | "pack" | "unpack" | "transform" | "store" | "transport" | "sell" | "recall" | "inspect";

export interface Quantity { class: string; quantity: number; uom?: string | null }
export interface HandoffInput {
  step: Step;
  items: string[];
  quantities: Quantity[];
  parent: string | null;
  outputs: string[];
  output_quantities: Quantity[];
  place: string;
  org: string;
  counterparty: string | null;
  documents: [string, string][];
  readings: { time: string; celsius: number }[];
  ilmd: Record<string, unknown>;
}
export interface Queued { leaf: string; hash_id: string | null; summary: string; new: boolean }

export interface Delivery {
  bookkeeper: string;
  receipt: string | null;
  index: number | null;
  attempts: number;
  next_attempt_at: number;
  last_error: string | null;
}
export interface OutboxItem { leaf: string; summary: string; created_at: number; deliveries: Delivery[] }
export interface FlushReport {
  bookkeepers: { bookkeeper: string; sent: number; receipted: number; failed: number; error: string | null }[];
  pending_entries: number;
  pending_deliveries: number;
}

export interface LogStatus {
  name: string;
  operator: string;
  url: string;
  reachable: boolean;
  problem: string | null;
  size: number | null;
  root: string | null;
  cosigners: string[];
  independent_cosigners: number;
  witness_threshold: number;
  /** Seconds since the witnesses last vouched for its checkpoint, if they did. */
  age_seconds: number | null;
  trusted_size: number | null;
  lag: number | null;
  checkpoint: string | null;
}
export interface Alert {
  id: number;
  bookkeeper: string;
  kind: string;
  old_size: number;
  new_size: number;
  old_note: string;
  new_note: string;
  detected_at: number;
}
export interface WitnessEvidence {
  reported_by: string;
  origin: string;
  reason: string;
  old_note: string;
  new_note: string;
  recorded_at: number;
}
export interface Monitor {
  checked_at: number;
  logs: LogStatus[];
  alerts: Alert[];
  new_alerts: number;
  witness_evidence: WitnessEvidence[];
}
export interface TraceEdge { from: string; to: string; how: string; time: string; org: string | null }
export interface Trace { origin: History; upstream: string[]; edges: TraceEdge[]; downstream: History[]; truncated: boolean }
export interface ActivityEvent {
  time: string;
  biz_step: string | null;
  event_type: string;
  place: string | null;
  items: number;
  hash_id: string;
  bookkeepers: string[];
  /** The event as this reader reads it (withheld members put back where it is entitled). */
  event: string;
  withheld: number;
}
export interface Activity { gln: string; name: string | null; events: ActivityEvent[]; by_step: Record<string, number>; below_quorum: number }
export interface Exported { path: string; product: string; bookkeepers: number; bytes: number }
export interface Packaged { path: string; product: string; steps: number; verdict: Status; bytes: number }
export interface FsmaExported { path: string; records: number; events: number; organisations: number }
export interface Progress { done: number; total: number }

/** A command's failure: a stable code and the English message. */
export interface CommandError { code: string; message: string }

export function isCommandError(e: unknown): e is CommandError {
  return typeof e === "object" && e !== null && "code" in e && "message" in e;
}

export const api = {
  status: () => invoke<AppStatus>("app_status"),
  installPolicy: (json: string) => invoke<AppStatus>("install_policy", { json }),
  installRegistrySecret: (text: string) => invoke<AppStatus>("install_registry_secret", { text }),
  setPreference: (key: "role" | "lang", value: string) => invoke<null>("set_preference", { key, value }),
  reset: () => invoke<AppStatus>("reset_data"),
  decodeImage: (bytes: Uint8Array) => invoke<Decoded[]>("decode_image", bytes),
  scanStart: () => invoke<null>("scan_start"),
  scanFrame: (width: number, height: number, rgba: Uint8Array) =>
    invoke<FrameResult>("scan_frame", rgba, { headers: { "x-width": String(width), "x-height": String(height) } }),
  verify: (code: string) => invoke<History>("verify", { code }),
  /** The same verification read by an entitled recipient: `key` is its key file's text (never kept). */
  verifyAs: (code: string, key: string) => invoke<History>("verify_as", { code, recipientKey: key }),
  recentScans: () => invoke<Scan[]>("recent_scans"),
  deviceCreate: (name: string, passphrase: string) => invoke<DeviceInfo | null>("device_create", { name, passphrase }),
  deviceImport: (key: string, passphrase: string) => invoke<DeviceInfo | null>("device_import", { key, passphrase }),
  deviceUnlock: (passphrase: string) => invoke<DeviceInfo | null>("device_unlock", { passphrase }),
  deviceLock: () => invoke<DeviceInfo | null>("device_lock"),
  enrolmentRequest: (label: string, org: string, roles: string[], places: string[]) =>
    invoke<string>("enrolment_request", { label, org, roles, places }),
  deviceCertify: (certification: string) => invoke<DeviceInfo | null>("device_certify", { certification }),
  directory: () => invoke<Directory>("directory"),
  record: (handoff: HandoffInput) => invoke<Queued>("record_handoff", { handoff }),
  flush: (retry = false) => invoke<FlushReport>("flush", { retry }),
  outbox: () => invoke<OutboxItem[]>("outbox"),
  monitor: () => invoke<Monitor>("monitor"),
  trace: (code: string) => invoke<Trace>("trace", { code }),
  activity: (gln: string) => invoke<Activity>("activity", { gln }),
  /** As an entitled recipient: `key` is the text of its recipient key file (never kept). */
  activityAs: (gln: string, key: string) => invoke<Activity>("activity_as", { gln, recipientKey: key }),
  exportEvidence: (code: string) => invoke<Exported>("export_evidence", { code }),
  /** The court-ready package (tar: events, C2SP proofs, registry records, policy, PDF report). */
  exportPackage: (code: string) => invoke<Packaged>("export_package", { code }),
  /** The FSMA 204 sortable spreadsheet; `progress` is called as organisations are read. */
  exportFsma: (lot: string | null, recipientKey: string | null, progress: (p: Progress) => void) => {
    const onProgress = new Channel<Progress>();
    onProgress.onmessage = progress;
    return invoke<FsmaExported>("export_fsma", { lot, recipientKey, onProgress });
  },
};
