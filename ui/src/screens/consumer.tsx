import { useEffect, useState } from "preact/hooks";
import { api, type Decoded, type History, type Scan } from "../api";
import { errorMessage, useApp } from "../app";
import { ago, statusWord } from "../i18n";
import { nowSeconds } from "../logic/format";
import { asStatus, productParts } from "../logic/verdict";
import { HistoryView } from "./history";
import { Scanner } from "./scanner";

export function Consumer() {
  const { tr, lang } = useApp();
  const [history, setHistory] = useState<History | null>(null);
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<string | null>(null);
  const [typed, setTyped] = useState("");
  const [recent, setRecent] = useState<Scan[]>([]);
  /** The code as scanned, for reading the same product again as a recipient. */
  const [code, setCode] = useState("");
  /** The same product read by an entitled recipient (its key file chosen), if it is. */
  const [reading, setReading] = useState<History | null>(null);

  const loadRecent = () => api.recentScans().then(setRecent).catch(() => undefined);
  useEffect(() => void loadRecent(), []);

  const check = async (code: string) => {
    setProblem(null);
    setBusy(true);
    setCode(code);
    setReading(null);
    try {
      setHistory(await api.verify(code));
      void loadRecent();
    } catch (e) {
      setProblem(errorMessage(e));
    } finally {
      setBusy(false);
    }
  };

  // The code as scanned, not its canonical product key: the verdict checks the host its link
  // points to (a look-alike domain on a copied label).
  const onCode = (d: Decoded) => {
    if (d.product) void check(d.text);
    else setProblem(d.kind === "plain_url" ? tr("web_address") : tr("not_a_product", { detail: d.problem ?? "" }));
  };

  // The key file is read and used for this one call; it is never stored.
  const readAs = async (e: Event) => {
    const f = (e.currentTarget as HTMLInputElement).files?.[0];
    if (!f) return;
    setProblem(null);
    try {
      setReading(await api.verifyAs(code, (await f.text()).trim()));
    } catch (err) {
      setProblem(errorMessage(err));
    }
  };

  if (history) {
    const view = reading ? "recipient" : "holder";
    return (
      <div class="stack" id="result-screen">
        <button type="button" class="button" id="scan-again" onClick={() => { setHistory(null); setProblem(null); }}>← {tr("back")}</button>
        <div class="row views" id="views" data-view={view}>
          <button type="button" id="view-holder" class={reading ? "button" : "button primary"} aria-pressed={!reading}
            onClick={() => setReading(null)}>{tr("view_holder")}</button>
          <label for="view-recipient-file" class={reading ? "button primary" : "button"}>{tr("read_as_recipient")}</label>
          <input id="view-recipient-file" type="file" class="visually-hidden" onChange={(e) => void readAs(e)} />
          <span class="muted small" id="view-note">{tr(reading ? "view_recipient_note" : "view_holder_note")}</span>
        </div>
        {problem && <p class="bad" role="alert" id="view-problem">{problem}</p>}
        <HistoryView h={reading ?? history} focus={!reading} />
      </div>
    );
  }

  return (
    <div class="stack" id="scan-screen">
      <section class="card" aria-labelledby="scan-title">
        <h1 id="scan-title">{tr("scan_title")}</h1>
        <p class="muted">{tr("scan_hint")}</p>
        <Scanner idPrefix="consumer" onCode={onCode} />
        <form class="row" onSubmit={(e) => { e.preventDefault(); if (typed.trim()) void check(typed.trim()); }}>
          <label for="code-input" class="visually-hidden">{tr("type_code")}</label>
          <input id="code-input" type="text" inputMode="url" autoComplete="off" spellcheck={false}
            placeholder={tr("type_code")} value={typed} onInput={(e) => setTyped(e.currentTarget.value)} />
          <button type="submit" class="button primary" id="code-check">{tr("check")}</button>
        </form>
        {busy && <p role="status" id="checking">{tr("loading")}</p>}
        {problem && <p class="bad" role="alert" id="scan-problem">{problem}</p>}
      </section>
      {recent.length > 0 && (
        <section class="card" aria-labelledby="recent-title">
          <h2 id="recent-title">{tr("recent_scans")}</h2>
          <ul class="plain recent">
            {recent.map((s) => {
              const p = productParts(s.product);
              const st = asStatus(s.status);
              return (
                <li>
                  <button type="button" class={`link-row ${st}`} onClick={() => void check(s.product)}>
                    <span class={`dot ${st}`} aria-hidden="true" />
                    <span>{statusWord(lang, st)}</span>
                    <span class="muted">GTIN {p.gtin}{p.serial ? ` #${p.serial}` : p.lot ? ` ${p.lot}` : ""}</span>
                    <span class="muted small">{ago(lang, s.scanned_at, nowSeconds())}</span>
                  </button>
                </li>
              );
            })}
          </ul>
        </section>
      )}
    </div>
  );
}
