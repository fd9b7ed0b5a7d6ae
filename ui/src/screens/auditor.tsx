import { useEffect, useState } from "preact/hooks";
import { api, type Activity, type Directory, type Exported, type FsmaExported, type LogStatus, type Monitor, type Packaged, type Progress, type Trace } from "../api";
import { errorMessage, useApp } from "../app";
import { ago, duration, statusWord } from "../i18n";
import { dateTime, documentsOf, nowSeconds, short } from "../logic/format";
import { Verdict } from "./history";

type Tab = "status" | "trace" | "activity" | "export";

/** Seconds between two monitoring rounds. */
export const MONITOR_SECONDS = 15;

export function Auditor() {
  const { tr } = useApp();
  const [tab, setTab] = useState<Tab>("status");
  const [monitor, setMonitor] = useState<Monitor | null>(null);
  const [error, setError] = useState<string | null>(null);

  // Continuous monitoring while the auditor role is open.
  const round = () => api.monitor().then((m) => { setMonitor(m); setError(null); }).catch((e) => setError(errorMessage(e)));
  useEffect(() => {
    void round();
    const timer = setInterval(() => void round(), MONITOR_SECONDS * 1000);
    return () => clearInterval(timer);
  }, []);

  return (
    <div class="stack" id="auditor-screen">
      {monitor && monitor.alerts.length > 0 && (
        <p class="banner bad" role="alert" id="alert-banner">⚠ {tr("alerts")}: {monitor.alerts.length}</p>
      )}
      <div class="subtabs" role="tablist" aria-label={tr("role_auditor")}>
        {(["status", "trace", "activity", "export"] as Tab[]).map((x) => (
          <button type="button" role="tab" id={`au-tab-${x}`} aria-selected={tab === x} aria-controls={`au-panel-${x}`}
            class={tab === x ? "tab active" : "tab"} onClick={() => setTab(x)}>{tr(`au_${x}`)}</button>
        ))}
      </div>
      <div role="tabpanel" id={`au-panel-${tab}`} aria-labelledby={`au-tab-${tab}`}>
        {tab === "status" ? <StatusPanel monitor={monitor} error={error} onCheck={() => void round()} />
          : tab === "trace" ? <TracePanel />
            : tab === "activity" ? <ActivityPanel /> : <ExportPanel />}
      </div>
    </div>
  );
}

function StatusPanel(props: { monitor: Monitor | null; error: string | null; onCheck: () => void }) {
  const { tr, lang } = useApp();
  const m = props.monitor;
  return (
    <div class="stack">
      <section class="card" aria-labelledby="au-bk">
        <div class="row spread">
          <h2 id="au-bk">{tr("au_status")}</h2>
          <button type="button" class="button" id="check-now" onClick={props.onCheck}>{tr("check_now")}</button>
        </div>
        {m && <p class="muted small" id="monitor-age">{tr("monitor_every", { seconds: MONITOR_SECONDS, age: ago(lang, m.checked_at, nowSeconds()) })}</p>}
        {props.error && <p role="alert" class="bad">{props.error}</p>}
        {m && (
          <div class="table-wrap">
            <table id="log-table">
              <thead>
                <tr><th scope="col">{tr("bookkeepers")}</th><th scope="col">{tr("size")}</th><th scope="col">{tr("lag")}</th>
                  <th scope="col">{tr("cosigners")}</th><th scope="col">{tr("root")}</th><th scope="col">{tr("problem")}</th></tr>
              </thead>
              <tbody>
                {m.logs.map((l) => (
                  <tr class={l.problem ? "bad" : "ok"} data-bookkeeper={l.name} data-size={l.size ?? ""}>
                    <th scope="row">{l.name}<br /><span class="muted small">{l.operator}</span></th>
                    <td>{l.size ?? "—"}{l.trusted_size != null && <span class="muted small"><br />{tr("trusted")}: {l.trusted_size}</span>}</td>
                    <td>{l.lag ?? "—"}</td>
                    <td>{l.cosigners.join(", ") || "—"}<br /><span class="muted small">{tr("independent", { n: l.independent_cosigners, need: l.witness_threshold })}</span>
                      <Vouched log={l} /></td>
                    <td><code title={l.root ?? ""}>{l.root ? short(l.root, 6) : "—"}</code></td>
                    <td>{l.problem ?? (l.reachable ? `✓ ${tr("healthy")}` : tr("not_reachable"))}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>
      <section class="card" aria-labelledby="au-alerts">
        <h2 id="au-alerts">{tr("alerts")}</h2>
        {!m || m.alerts.length === 0 ? <p class="ok" id="no-alerts">✓ {tr("no_alerts")}</p> : (
          <ul class="plain" id="alert-list">
            {m.alerts.slice().reverse().map((a) => (
              <li class="alert-item bad" data-kind={a.kind}>
                <p><strong>⚠ {tr(a.old_size === a.new_size ? "alert_text_same_size" : "alert_text", {
                  kind: a.kind === "fork" || a.kind === "rollback" ? tr(`alert_kind_${a.kind}`) : a.kind,
                  bookkeeper: a.bookkeeper, old: a.old_size, new: a.new_size, age: ago(lang, a.detected_at, nowSeconds()),
                })}</strong></p>
                <details>
                  <summary>{tr("evidence")}</summary>
                  <h4>{tr("old_note")}</h4><pre class="note">{a.old_note}</pre>
                  <h4>{tr("new_note")}</h4><pre class="note">{a.new_note}</pre>
                </details>
              </li>
            ))}
          </ul>
        )}
        {m && m.witness_evidence.length > 0 && (
          <>
            <h3>{tr("witness_evidence")}</h3>
            <ul class="plain" id="witness-evidence">
              {m.witness_evidence.map((w) => (
                <li class="bad">
                  <p><strong>{w.origin}</strong>: {w.reason} · {tr("reported_by", { name: w.reported_by })} · {ago(lang, w.recorded_at, nowSeconds())}</p>
                  <details><summary>{tr("evidence")}</summary>
                    <h4>{tr("old_note")}</h4><pre class="note">{w.old_note}</pre>
                    <h4>{tr("new_note")}</h4><pre class="note">{w.new_note}</pre>
                  </details>
                </li>
              ))}
            </ul>
          </>
        )}
      </section>
    </div>
  );
}

/** How long ago the witnesses last vouched for a bookkeeper's checkpoint (as of the round). */
function Vouched(props: { log: LogStatus }) {
  const { tr, lang } = useApp();
  const age = props.log.age_seconds;
  if (age == null && !props.log.reachable) return null;
  return (
    <span class="muted small vouched" data-age={age ?? ""}>
      <br />{age == null ? tr("not_vouched") : tr("vouched_ago", { age: duration(lang, age) })}
    </span>
  );
}

function CodeForm(props: { id: string; label: string; button: string; onSubmit: (code: string) => void }) {
  const [code, setCode] = useState("");
  return (
    <form class="row" onSubmit={(e) => { e.preventDefault(); if (code.trim()) props.onSubmit(code.trim()); }}>
      <label for={`${props.id}-input`} class="visually-hidden">{props.label}</label>
      <input id={`${props.id}-input`} placeholder={props.label} value={code} onInput={(e) => setCode(e.currentTarget.value)} spellcheck={false} />
      <button type="submit" class="button primary" id={`${props.id}-button`}>{props.button}</button>
    </form>
  );
}

function TracePanel() {
  const { tr, lang } = useApp();
  const [trace, setTrace] = useState<Trace | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const go = async (code: string) => {
    setBusy(true); setError(null);
    try { setTrace(await api.trace(code)); } catch (e) { setError(errorMessage(e)); } finally { setBusy(false); }
  };
  return (
    <section class="card" aria-labelledby="trace-title">
      <h2 id="trace-title">{tr("au_trace")}</h2>
      <CodeForm id="trace" label={tr("trace_code")} button={tr("trace_button")} onSubmit={(c) => void go(c)} />
      {busy && <p role="status">{tr("loading")}</p>}
      {error && <p role="alert" class="bad">{error}</p>}
      {trace && (
        <div class="stack" id="trace-result">
          <Verdict h={trace.origin} />
          <h3>{tr("upstream")}</h3>
          {trace.upstream.length === 0 ? <p class="muted">—</p> : (
            <ul class="plain">{trace.upstream.map((u) => <li><code class="wrap">{u}</code></li>)}</ul>
          )}
          <h3>{tr("downstream")}</h3>
          {trace.edges.length === 0 ? <p class="muted">{tr("trace_none")}</p> : (
            <ul class="plain" id="trace-edges">
              {trace.edges.map((e) => {
                const h = trace.downstream.find((d) => d.product === e.to);
                return (
                  <li class="edge">
                    <code class="wrap">{e.from}</code> → <strong>{e.how}</strong> → <code class="wrap">{e.to}</code>
                    <span class="muted small"> · {dateTime(lang, e.time)}{e.org ? ` · ${e.org}` : ""}</span>
                    {h && <span class={`pill ${h.status}`}>{statusWord(lang, h.status)}</span>}
                  </li>
                );
              })}
            </ul>
          )}
          {trace.truncated && <p class="muted">…</p>}
        </div>
      )}
    </section>
  );
}

function ActivityPanel() {
  const { tr, lang } = useApp();
  const [dir, setDir] = useState<Directory | null>(null);
  const [gln, setGln] = useState("");
  const [activity, setActivity] = useState<Activity | null>(null);
  const [error, setError] = useState<string | null>(null);
  /** An entitled recipient's key, read from the file the user chose; kept in memory only. */
  const [recipientKey, setRecipientKey] = useState<string | null>(null);
  useEffect(() => { api.directory().then(setDir).catch(() => undefined); }, []);
  const go = async (g: string) => {
    setError(null);
    try {
      setActivity(await (recipientKey ? api.activityAs(g, recipientKey) : api.activity(g)));
    } catch (e) { setError(errorMessage(e)); }
  };
  const chooseKey = async (e: Event) => {
    const f = (e.currentTarget as HTMLInputElement).files?.[0];
    setRecipientKey(f ? (await f.text()).trim() : null);
    setActivity(null);
  };
  return (
    <section class="card" aria-labelledby="act-title">
      <h2 id="act-title">{tr("au_activity")}</h2>
      <form class="row" onSubmit={(e) => { e.preventDefault(); if (gln) void go(gln); }}>
        <label for="activity-org">{tr("activity_org")}</label>
        <select id="activity-org" value={gln} onChange={(e) => setGln(e.currentTarget.value)}>
          <option value="">{tr("choose")}</option>
          {(dir?.orgs ?? []).map((o) => <option value={o.gln}>{o.name} ({o.country}) · {o.gln}</option>)}
        </select>
        <button type="submit" class="button primary" id="activity-button">{tr("au_activity")}</button>
      </form>
      <p class="row">
        <label for="recipient-key-file" class="button">{tr("read_as_recipient")}</label>
        <input id="recipient-key-file" type="file" class="visually-hidden" onChange={(e) => void chooseKey(e)} />
        <span class="muted small" id="reading-as" data-recipient={recipientKey ? "yes" : "no"}>
          {recipientKey ? tr("reading_as_recipient") : tr("reading_public")}
        </span>
      </p>
      {error && <p role="alert" class="bad">{error}</p>}
      {activity && (
        <div id="activity-result">
          <h3>{activity.name ?? activity.gln}</h3>
          <p id="activity-count" data-n={activity.events.length}>{tr("activity_events", { n: activity.events.length })}</p>
          <ul class="plain by-step">
            {Object.entries(activity.by_step).map(([k, v]) => <li><span class="pill">{k}: {v}</span></li>)}
          </ul>
          {activity.below_quorum > 0 && <p class="bad">{tr("below_quorum_n", { n: activity.below_quorum })}</p>}
          <div class="table-wrap">
            <table>
              <thead><tr><th scope="col">{tr("step")}</th><th scope="col">{tr("place")}</th><th scope="col">#</th><th scope="col">{tr("detail_document")}</th><th scope="col">{tr("in_logs")}</th></tr></thead>
              <tbody>
                {activity.events.map((ev) => (
                  <tr><td>{ev.biz_step ?? ev.event_type}<br /><span class="muted small">{dateTime(lang, ev.time)}</span></td>
                    <td>{ev.place ?? "—"}</td><td>{ev.items}</td>
                    <td class="documents small">{documentsOf(ev.event).join(", ") || "—"}{ev.withheld > 0 && <span class="muted"> {tr("withheld")}</span>}</td>
                    <td>{ev.bookkeepers.join(", ")}</td></tr>
                ))}
              </tbody>
            </table>
          </div>
        </div>
      )}
    </section>
  );
}

function ExportPanel() {
  return (
    <div class="stack">
      <PackagePanel />
      <FsmaPanel />
      <EvidencePanel />
    </div>
  );
}

/** The court-ready evidence package of one product. */
function PackagePanel() {
  const { tr, lang } = useApp();
  const [done, setDone] = useState<Packaged | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const go = async (code: string) => {
    setBusy(true); setError(null); setDone(null);
    try { setDone(await api.exportPackage(code)); } catch (e) { setError(errorMessage(e)); } finally { setBusy(false); }
  };
  return (
    <section class="card" aria-labelledby="package-title">
      <h2 id="package-title">{tr("package_title")}</h2>
      <p class="muted small">{tr("package_what")}</p>
      <CodeForm id="package" label={tr("export_code")} button={tr("package_button")} onSubmit={(c) => void go(c)} />
      {busy && <p role="status">{tr("loading")}</p>}
      {error && <p role="alert" class="bad">{error}</p>}
      {done && <p role="status" class="ok" id="package-done" data-verdict={done.verdict}>
        ✓ {tr("packaged", { steps: done.steps, verdict: statusWord(lang, done.verdict), path: done.path })}</p>}
    </section>
  );
}

/** The FSMA 204 sortable spreadsheet of every organisation's records, with its progress. */
function FsmaPanel() {
  const { tr } = useApp();
  const [lot, setLot] = useState("");
  const [key, setKey] = useState<string | null>(null);
  const [progress, setProgress] = useState<Progress | null>(null);
  const [done, setDone] = useState<FsmaExported | null>(null);
  const [error, setError] = useState<string | null>(null);
  const go = async () => {
    setError(null); setDone(null); setProgress({ done: 0, total: 1 });
    try { setDone(await api.exportFsma(lot.trim() || null, key, setProgress)); } catch (e) { setError(errorMessage(e)); } finally { setProgress(null); }
  };
  const chooseKey = async (e: Event) => {
    const f = (e.currentTarget as HTMLInputElement).files?.[0];
    setKey(f ? (await f.text()).trim() : null);
  };
  return (
    <section class="card" aria-labelledby="fsma-title">
      <h2 id="fsma-title">{tr("fsma_title")}</h2>
      <p class="muted small">{tr("fsma_what")}</p>
      <form class="row" onSubmit={(e) => { e.preventDefault(); void go(); }}>
        <label for="fsma-lot" class="visually-hidden">{tr("fsma_lot")}</label>
        <input id="fsma-lot" placeholder={tr("fsma_lot")} value={lot} onInput={(e) => setLot(e.currentTarget.value)} spellcheck={false} />
        <button type="submit" class="button primary" id="fsma-button" disabled={progress !== null}>{tr("fsma_button")}</button>
      </form>
      <p class="row">
        <label for="fsma-key-file" class="button">{tr("read_as_recipient")}</label>
        <input id="fsma-key-file" type="file" class="visually-hidden" onChange={(e) => void chooseKey(e)} />
        <span class="muted small" id="fsma-reading-as" data-recipient={key ? "yes" : "no"}>
          {key ? tr("reading_as_recipient") : tr("reading_public")}
        </span>
      </p>
      {progress && (
        <p role="status" class="row">
          <progress id="fsma-progress" max={progress.total} value={progress.done} aria-label={tr("fsma_title")} />
          <span class="muted small">{tr("fsma_progress", { done: progress.done, total: progress.total })}</span>
        </p>
      )}
      {error && <p role="alert" class="bad">{error}</p>}
      {done && <p role="status" class="ok" id="fsma-done">
        ✓ {tr("fsma_done", { records: done.records, events: done.events, orgs: done.organisations, path: done.path })}</p>}
    </section>
  );
}

/** The device's own evidence file (JSON), checked again with `tally check-evidence`. */
function EvidencePanel() {
  const { tr } = useApp();
  const [done, setDone] = useState<Exported | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const go = async (code: string) => {
    setBusy(true); setError(null); setDone(null);
    try { setDone(await api.exportEvidence(code)); } catch (e) { setError(errorMessage(e)); } finally { setBusy(false); }
  };
  return (
    <section class="card" aria-labelledby="export-title">
      <h2 id="export-title">{tr("au_export")}</h2>
      <CodeForm id="export" label={tr("export_code")} button={tr("export_button")} onSubmit={(c) => void go(c)} />
      {busy && <p role="status">{tr("loading")}</p>}
      {error && <p role="alert" class="bad">{error}</p>}
      {done && <p role="status" class="ok" id="export-done">✓ {tr("exported", { product: done.product, n: done.bookkeepers, path: done.path })}</p>}
    </section>
  );
}
