import { useEffect, useState } from "preact/hooks";
import { api, isCommandError, type Decoded, type Directory, type OutboxItem, type Step } from "../api";
import { errorMessage, useApp } from "../app";
import { ago } from "../i18n";
import { nowSeconds, short } from "../logic/format";
import {
  addCode, allowedSteps, emptyForm, needsOutputs, needsParent, problems, takesCounterparty, toHandoff, withoutLabel, type Form,
} from "../logic/handoff";
import { summary } from "../logic/outbox";
import { Scanner } from "./scanner";

type Tab = "record" | "outbox" | "device";

export function Warehouse() {
  const { tr, status } = useApp();
  const d = status.device;
  const ready = !!d?.unlocked && !!d.certification;
  const [tab, setTab] = useState<Tab>(ready ? "record" : "device");
  return (
    <div class="stack" id="warehouse-screen">
      <div class="subtabs" role="tablist" aria-label={tr("role_warehouse")}>
        {(["record", "outbox", "device"] as Tab[]).map((x) => (
          <button type="button" role="tab" id={`wh-tab-${x}`} aria-selected={tab === x} aria-controls={`wh-panel-${x}`}
            class={tab === x ? "tab active" : "tab"} onClick={() => setTab(x)}>
            {tr(`wh_${x}`)}
          </button>
        ))}
      </div>
      <div role="tabpanel" id={`wh-panel-${tab}`} aria-labelledby={`wh-tab-${tab}`}>
        {tab === "device" ? <DevicePanel /> : tab === "outbox" ? <OutboxPanel /> : <RecordPanel onSent={() => setTab("outbox")} />}
      </div>
    </div>
  );
}

function readFile(e: Event): Promise<string | null> {
  const input = e.currentTarget as HTMLInputElement;
  const f = input.files?.[0];
  input.value = "";
  return f ? f.text() : Promise.resolve(null);
}

/** A device command's failure: a weak passphrase with the reason it was refused. */
function deviceError(tr: ReturnType<typeof useApp>["tr"], e: unknown): string {
  return isCommandError(e) && e.code === "weak_passphrase"
    ? tr("weak_passphrase", { reason: e.message })
    : tr("error", { message: errorMessage(e) });
}

function DevicePanel() {
  const { tr, status, refresh } = useApp();
  const d = status.device;
  const [name, setName] = useState("warehouse-device");
  const [pass, setPass] = useState("");
  const [keyText, setKeyText] = useState<string | null>(null);
  const [msg, setMsg] = useState<{ ok: boolean; text: string } | null>(null);
  const [request, setRequest] = useState<string | null>(null);
  const [org, setOrg] = useState("");
  const [places, setPlaces] = useState("");
  const [roles, setRoles] = useState<string[]>(["receiving", "shipping"]);

  const run = async (f: () => Promise<unknown>, ok?: string) => {
    setMsg(null);
    try {
      await f();
      await refresh();
      if (ok) setMsg({ ok: true, text: ok });
    } catch (e) {
      setMsg({ ok: false, text: deviceError(tr, e) });
    }
  };

  const passField = (
    <div class="field">
      <label for="device-pass">{tr("passphrase")}</label>
      <input id="device-pass" type="password" autoComplete="new-password" value={pass} onInput={(e) => setPass(e.currentTarget.value)} />
      <p class="muted small">{tr("passphrase_hint")}</p>
    </div>
  );

  return (
    <div class="stack">
      <section class="card" aria-labelledby="device-title">
        <h2 id="device-title">{tr("device_title")}</h2>
        {!d ? (
          <>
            <p>{tr("device_none")}</p>
            <div class="field">
              <label for="device-name">{tr("device_name")}</label>
              <input id="device-name" value={name} onInput={(e) => setName(e.currentTarget.value)} />
            </div>
            {passField}
            <div class="row wrap">
              <button type="button" class="button primary" id="device-create" onClick={() => void run(() => api.deviceCreate(name, pass))}>
                {tr("device_create")}
              </button>
              <label for="device-key-file" class="button">{tr("device_import")}</label>
              <input id="device-key-file" type="file" class="visually-hidden"
                onChange={(e) => void readFile(e).then((text) => { if (text) { setKeyText(text); void run(() => api.deviceImport(text, pass)); } })} />
            </div>
            {keyText !== null && <p class="muted small">{tr("key_file")} ✓</p>}
          </>
        ) : (
          <>
            <p><strong>{d.name}</strong> · <span id="device-lock-state" class={d.unlocked ? "ok" : "muted"}>{d.unlocked ? tr("unlocked") : tr("locked")}</span></p>
            <p class="small">{tr("public_key")}: <code class="wrap" id="device-public-key">{d.public_key}</code></p>
            {d.unlocked ? (
              <button type="button" class="button" id="device-lock" onClick={() => void run(() => api.deviceLock())}>{tr("lock")}</button>
            ) : (
              <form class="row wrap" onSubmit={(e) => { e.preventDefault(); void run(() => api.deviceUnlock(pass)); }}>
                <label for="unlock-pass" class="visually-hidden">{tr("passphrase")}</label>
                <input id="unlock-pass" type="password" autoComplete="current-password" placeholder={tr("passphrase")}
                  value={pass} onInput={(e) => setPass(e.currentTarget.value)} />
                <button type="submit" class="button primary" id="device-unlock">{tr("unlock")}</button>
              </form>
            )}
          </>
        )}
        {msg && <p id="device-message" role={msg.ok ? "status" : "alert"} class={msg.ok ? "ok" : "bad"}>{msg.text}</p>}
      </section>
      {d && (
        <section class="card" aria-labelledby="cert-title">
          <h2 id="cert-title">{tr("certification")}</h2>
          {d.certification ? (
            <p class="ok" id="certified-for">
              ✓ {tr("certified_for", {
                roles: d.certification.roles.join(", "),
                places: d.certification.places.join(", "),
                expires: d.certification.expires.slice(0, 10),
              })} (GLN {d.certification.org})
            </p>
          ) : (
            <p class="muted" id="certified-for">{tr("not_certified")}{d.certification_problem ? `: ${d.certification_problem}` : ""}</p>
          )}
          <label for="cert-file" class="button">{tr("certification_import")}</label>
          <input id="cert-file" type="file" class="visually-hidden"
            onChange={(e) => void readFile(e).then((text) => { if (text) void run(() => api.deviceCertify(text)); })} />
        </section>
      )}
      {status.confidential && (
        <section class="card" aria-labelledby="membership-title">
          <h2 id="membership-title">{tr("membership")}</h2>
          <p id="registry-secret-state" data-installed={String(status.registry_secret)}
            class={status.registry_secret ? "ok" : "muted"}>
            {status.registry_secret ? `✓ ${tr("registry_secret_installed")}` : tr("registry_secret_missing")}
          </p>
          {!status.registry_secret && (
            <>
              <label for="registry-secret-file" class="button">{tr("registry_secret_import")}</label>
              <input id="registry-secret-file" type="file" class="visually-hidden"
                onChange={(e) => void readFile(e).then((text) => { if (text) void run(() => api.installRegistrySecret(text)); })} />
            </>
          )}
        </section>
      )}
      {d && d.unlocked && !d.certification && (
        <section class="card" aria-labelledby="enrol-title">
          <h2 id="enrol-title">{tr("enrolment")}</h2>
          <p>{tr("enrolment_text")}</p>
          <div class="field">
            <label for="enrol-org">{tr("org_gln")}</label>
            <input id="enrol-org" inputMode="numeric" value={org} onInput={(e) => setOrg(e.currentTarget.value)} />
          </div>
          <div class="field">
            <label for="enrol-places">{tr("places_gln")}</label>
            <input id="enrol-places" value={places} onInput={(e) => setPlaces(e.currentTarget.value)} />
          </div>
          <fieldset class="checks">
            <legend>{tr("step")}</legend>
            {["receiving", "shipping", "packing", "unpacking", "creating_class_instance", "retail_selling"].map((r) => (
              <label>
                <input type="checkbox" checked={roles.includes(r)}
                  onChange={(e) => setRoles(e.currentTarget.checked ? [...roles, r] : roles.filter((x) => x !== r))} /> {r}
              </label>
            ))}
          </fieldset>
          <button type="button" class="button primary" id="make-request" onClick={() => void run(async () => {
            setRequest(await api.enrolmentRequest(d.name, org.trim(), roles, places.split(/[\s,]+/).filter(Boolean)));
          })}>{tr("make_request")}</button>
          {request && (
            <>
              <p>{tr("request_ready")}</p>
              <textarea readOnly rows={6} class="mono" id="request-text" value={request} aria-label={tr("enrolment")} />
            </>
          )}
        </section>
      )}
    </div>
  );
}

const placeOptions = (places: string[], dir: Directory | null) =>
  places.map((gln) => {
    const owner = dir?.orgs.find((o) => o.places.includes(gln));
    return { gln, label: owner ? `${owner.name} · ${gln}` : gln };
  });

function RecordPanel(props: { onSent: () => void }) {
  const { tr, lang, status } = useApp();
  const d = status.device;
  const cert = d?.certification ?? null;
  const steps = allowedSteps(cert?.roles ?? []);
  const [form, setForm] = useState<Form>(() => ({ ...emptyForm(steps[0] ?? "receive"), place: cert?.places[0] ?? "" }));
  const [dir, setDir] = useState<Directory | null>(null);
  const [typed, setTyped] = useState("");
  const [target, setTarget] = useState<"items" | "outputs" | "parent">("items");
  const [reviewing, setReviewing] = useState(false);
  const [msg, setMsg] = useState<{ ok: boolean; text: string } | null>(null);

  useEffect(() => { api.directory().then(setDir).catch(() => undefined); }, []);
  // The certification may arrive after the form was made: default the place to its first.
  const firstPlace = cert?.places[0] ?? "";
  useEffect(() => {
    if (firstPlace) setForm((f) => (f.place ? f : { ...f, place: firstPlace }));
  }, [firstPlace]);

  if (!d?.unlocked) return <p class="card" id="record-blocked">{tr("unlock_first")}</p>;
  if (!cert) return <p class="card" id="record-blocked">{tr("certify_first")}</p>;

  if (steps.length === 0) return <p class="card" id="record-blocked">{tr("certify_first")}</p>;

  const add = (dcd: Decoded) => {
    setMsg(null);
    if (!dcd.product) {
      setMsg({ ok: false, text: dcd.kind === "plain_url" ? tr("web_address") : tr("not_a_product", { detail: dcd.problem ?? "" }) });
      return;
    }
    setForm((f) => {
      if (target === "parent") return { ...f, parent: dcd.label ?? dcd.product ?? "" };
      const key = target === "outputs" ? "outputs" : "items";
      return { ...f, [key]: addCode(f[key], dcd) ?? f[key] };
    });
  };
  const setStep = (s: Step) => setForm((f) => ({ ...f, step: s }));
  const missing = problems(form);
  const counterparties = (dir?.orgs ?? []).filter((o) => o.gln !== cert.org);

  const send = async () => {
    setMsg(null);
    try {
      const q = await api.record(toHandoff(form, cert.org));
      setMsg({ ok: true, text: q.new ? tr("recorded", { summary: q.summary }) : tr("already_queued") });
      setForm({ ...emptyForm(form.step), place: form.place, counterparty: form.counterparty });
      setReviewing(false);
      void api.flush().catch(() => undefined);
      props.onSent();
    } catch (e) {
      setMsg({ ok: false, text: tr("error", { message: errorMessage(e) }) });
    }
  };

  const list = (key: "items" | "outputs") => (
    <ul class="plain items" id={`list-${key}`}>
      {form[key].map((code) => (
        <li>
          <code class="wrap">{withoutLabel(code)}</code>
          {!reviewing && (
            <button type="button" class="button small" aria-label={`${tr("remove")} ${code}`}
              onClick={() => setForm((f) => ({ ...f, [key]: f[key].filter((x) => x !== code) }))}>✕</button>
          )}
        </li>
      ))}
    </ul>
  );

  if (reviewing) {
    return (
      <section class="card" aria-labelledby="review-title" id="review">
        <h2 id="review-title">{tr("review")}</h2>
        <dl>
          <dt>{tr("step")}</dt><dd id="review-step">{tr(`step_${form.step}`)}</dd>
          <dt>{tr("items")}</dt><dd>{list("items")}</dd>
          {needsParent(form.step) && (<><dt>{tr("parent")}</dt><dd><code>{withoutLabel(form.parent)}</code></dd></>)}
          {needsOutputs(form.step) && (<><dt>{tr("outputs")}</dt><dd>{list("outputs")}</dd></>)}
          <dt>{tr("place")}</dt><dd>{form.place}</dd>
          {form.counterparty && (<><dt>{tr("counterparty")}</dt><dd>{counterparties.find((o) => o.gln === form.counterparty)?.name ?? ""} {form.counterparty}</dd></>)}
          {form.readings.length > 0 && (<><dt>{tr("readings")}</dt><dd>{form.readings.map((r) => `${r.celsius} °C`).join(", ")}</dd></>)}
        </dl>
        <div class="row">
          <button type="button" class="button" onClick={() => setReviewing(false)}>{tr("edit")}</button>
          <button type="button" class="button primary big" id="sign-send" onClick={() => void send()}>{tr("sign_send")}</button>
        </div>
        {msg && <p role="alert" class="bad">{msg.text}</p>}
      </section>
    );
  }

  return (
    <div class="stack">
      <section class="card" aria-labelledby="rec-step">
        <h2 id="rec-step">{tr("step")}</h2>
        <div class="segmented steps" role="radiogroup" aria-labelledby="rec-step">
          {steps.map((s) => (
            <button type="button" role="radio" aria-checked={form.step === s} id={`step-${s}`}
              class={form.step === s ? "seg active" : "seg"} onClick={() => setStep(s)}>{tr(`step_${s}`)}</button>
          ))}
        </div>
      </section>
      <section class="card" aria-labelledby="rec-items">
        <h2 id="rec-items">{tr("items")} <span class="muted small" id="items-count">{tr("items_count", { n: form.items.length })}</span></h2>
        {(needsParent(form.step) || needsOutputs(form.step)) && (
          <div class="segmented" role="radiogroup" aria-label={tr("scan_items")}>
            {(["items", needsParent(form.step) ? "parent" : "outputs"] as const).map((x) => (
              <button type="button" role="radio" aria-checked={target === x} class={target === x ? "seg active" : "seg"}
                id={`target-${x}`} onClick={() => setTarget(x)}>{tr(x === "items" ? "items" : x === "parent" ? "parent" : "outputs")}</button>
            ))}
          </div>
        )}
        <Scanner idPrefix="wh" continuous multiplePhotos onCode={add} />
        <form class="row" onSubmit={(e) => {
          e.preventDefault();
          if (typed.trim()) { add({ text: typed.trim(), kind: "typed", product: typed.trim(), problem: null }); setTyped(""); }
        }}>
          <label for="item-input" class="visually-hidden">{tr("type_code")}</label>
          <input id="item-input" placeholder={tr("type_code")} value={typed} onInput={(e) => setTyped(e.currentTarget.value)} />
          <button type="submit" class="button" id="item-add">{tr("add_item")}</button>
        </form>
        {list("items")}
        {needsParent(form.step) && <p>{tr("parent")}: <code id="parent-code">{form.parent ? withoutLabel(form.parent) : "—"}</code></p>}
        {needsOutputs(form.step) && (<><h3>{tr("outputs")}</h3>{list("outputs")}</>)}
      </section>
      <section class="card" aria-labelledby="rec-where">
        <h2 id="rec-where">{tr("place")}</h2>
        {dir && !dir.live && <p class="muted small">{tr("directory_offline", { age: ago(lang, dir.checked_at, nowSeconds()) })}</p>}
        <div class="field">
          <label for="place-select">{tr("place")}</label>
          <select id="place-select" value={form.place} onChange={(e) => { const v = e.currentTarget.value; setForm((f) => ({ ...f, place: v })); }}>
            {placeOptions(cert.places, dir).map((p) => <option value={p.gln}>{p.label}</option>)}
          </select>
        </div>
        {takesCounterparty(form.step) && (
          <div class="field">
            <label for="counterparty-select">{form.step === "ship" ? tr("counterparty_to") : tr("counterparty_from")}</label>
            <select id="counterparty-select" value={form.counterparty} onChange={(e) => { const v = e.currentTarget.value; setForm((f) => ({ ...f, counterparty: v })); }}>
              <option value="">{tr("choose")}</option>
              {counterparties.map((o) => <option value={o.gln}>{o.name} ({o.country}) · {o.gln}</option>)}
            </select>
          </div>
        )}
        <h3>{tr("readings")}</h3>
        {form.readings.map((r, i) => (
          <div class="row">
            <label class="visually-hidden" for={`reading-${i}`}>{tr("readings")}</label>
            <input id={`reading-${i}`} class="short" inputMode="decimal" value={r.celsius}
              onInput={(e) => { const v = e.currentTarget.value; setForm((f) => ({ ...f, readings: f.readings.map((x, j) => j === i ? { ...x, celsius: v } : x) })); }} />
            <span>°C</span>
            <button type="button" class="button small" aria-label={tr("remove")}
              onClick={() => setForm((f) => ({ ...f, readings: f.readings.filter((_, j) => j !== i) }))}>✕</button>
          </div>
        ))}
        <button type="button" class="button" id="add-reading"
          onClick={() => setForm((f) => ({ ...f, readings: [...f.readings, { celsius: "", time: new Date().toISOString() }] }))}>
          {tr("add_reading")}
        </button>
      </section>
      <button type="button" class="button primary big" id="review-button" disabled={missing.length > 0}
        aria-describedby="missing" onClick={() => setReviewing(true)}>{tr("review")}</button>
      <p id="missing" class="muted small">{missing.join(" · ")}</p>
      {msg && <p role={msg.ok ? "status" : "alert"} class={msg.ok ? "ok" : "bad"} id="record-message">{msg.text}</p>}
    </div>
  );
}

function OutboxPanel() {
  const { tr, lang } = useApp();
  const [items, setItems] = useState<OutboxItem[]>([]);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    let alive = true;
    const load = () => api.outbox().then((x) => { if (alive) setItems(x); }).catch((e) => setError(errorMessage(e)));
    void load();
    // Live status: the outbox is re-read every 2 s; what is due is sent every 10 s.
    const poll = setInterval(() => void load(), 2000);
    const send = setInterval(() => void api.flush().then(load).catch(() => undefined), 10000);
    void api.flush().then(load).catch(() => undefined);
    return () => { alive = false; clearInterval(poll); clearInterval(send); };
  }, []);
  return (
    <section class="card" aria-labelledby="outbox-title">
      <div class="row spread">
        <h2 id="outbox-title">{tr("wh_outbox")}</h2>
        <button type="button" class="button" id="send-now" onClick={() => void api.flush(true).then(() => api.outbox()).then(setItems).catch((e) => setError(errorMessage(e)))}>
          {tr("send_now")}
        </button>
      </div>
      {error && <p role="alert" class="bad">{error}</p>}
      {items.length === 0 ? <p class="muted">{tr("outbox_empty")}</p> : (
        <ul class="plain outbox" id="outbox-list" aria-live="polite">
          {items.map((it) => {
            const s = summary(it);
            return (
              <li class={`outbox-item ${s.state}`} data-state={s.state}>
                <p><strong>{it.summary}</strong></p>
                <p class="small muted">{ago(lang, it.created_at, nowSeconds())} · <code title={it.leaf}>{short(it.leaf, 8)}</code></p>
                <p class={s.state === "delivered" ? "ok" : "muted"}>
                  {s.state === "delivered" ? tr("delivered_all") : tr("delivered_some", { done: s.done, total: s.total })}
                </p>
                <ul class="plain receipts">
                  {it.deliveries.map((d) => (
                    <li class={d.receipt ? "ok" : d.last_error ? "bad" : "muted"} data-bookkeeper={d.bookkeeper}>
                      <span aria-hidden="true">{d.receipt ? "✓" : d.last_error ? "⟳" : "…"}</span> {d.bookkeeper}:{" "}
                      {d.receipt ? tr("receipt_ok", { index: d.index ?? "?" }) : d.last_error ? tr("receipt_error", { error: d.last_error }) : tr("receipt_pending")}
                    </li>
                  ))}
                </ul>
              </li>
            );
          })}
        </ul>
      )}
    </section>
  );
}
