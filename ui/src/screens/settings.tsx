import { useState } from "preact/hooks";
import { api } from "../api";
import { errorMessage, ROLES, useApp, type Role } from "../app";
import { LANGS, t, type Lang } from "../i18n";

function PolicyInstaller() {
  const { tr, refresh } = useApp();
  const [msg, setMsg] = useState<{ ok: boolean; text: string } | null>(null);
  const onFile = async (e: Event) => {
    const input = e.currentTarget as HTMLInputElement;
    const file = input.files?.[0];
    if (!file) return;
    try {
      const s = await api.installPolicy(await file.text());
      setMsg({ ok: true, text: tr("policy_installed", { n: s.quorum[1], k: s.quorum[0] }) });
      await refresh();
    } catch (err) {
      setMsg({ ok: false, text: tr("error", { message: errorMessage(err) }) });
    }
    input.value = "";
  };
  return (
    <div class="field">
      <label for="policy-input" class="button primary">{tr("install_policy")}</label>
      <input id="policy-input" class="visually-hidden" type="file" accept=".json,application/json" onChange={onFile} />
      {msg && (
        <p id="policy-message" role={msg.ok ? "status" : "alert"} class={msg.ok ? "ok" : "bad"}>
          {msg.text}
        </p>
      )}
    </div>
  );
}

/** First start: no policy yet. */
export function Setup() {
  const { tr } = useApp();
  return (
    <section class="card narrow" aria-labelledby="setup-title">
      <h1 id="setup-title">{tr("setup_title")}</h1>
      <p>{tr("setup_text")}</p>
      <PolicyInstaller />
    </section>
  );
}

export function Settings(props: { role: Role; onRole: (r: Role) => void; onLang: (l: Lang) => void; onClose: () => void }) {
  const { tr, lang, status, refresh } = useApp();
  const [resetMsg, setResetMsg] = useState<string | null>(null);
  const [confirming, setConfirming] = useState(false);
  const reset = async () => {
    try {
      await api.reset();
      setResetMsg(tr("reset_done"));
      await refresh();
    } catch (e) {
      setResetMsg(tr("error", { message: errorMessage(e) }));
    }
  };
  return (
    <div class="stack" id="settings-screen">
      <h1>{tr("settings")}</h1>
      <section class="card" aria-labelledby="s-role">
        <h2 id="s-role">{tr("roles_label")}</h2>
        <div class="segmented" role="radiogroup" aria-labelledby="s-role">
          {ROLES.map((r) => (
            <button type="button" role="radio" aria-checked={props.role === r} id={`set-role-${r}`}
              class={props.role === r ? "seg active" : "seg"} onClick={() => props.onRole(r)}>
              {tr(`role_${r}`)}
            </button>
          ))}
        </div>
        <h2 id="s-lang">{tr("language")}</h2>
        <div class="segmented" role="radiogroup" aria-labelledby="s-lang">
          {LANGS.map((l) => (
            <button type="button" role="radio" aria-checked={lang === l} id={`set-lang-${l}`} lang={l === "zh" ? "zh-CN" : "en"}
              class={lang === l ? "seg active" : "seg"} onClick={() => props.onLang(l)}>
              {t(l, `lang_${l}`)}
            </button>
          ))}
        </div>
      </section>
      <section class="card" aria-labelledby="s-policy">
        <h2 id="s-policy">{tr("bookkeepers")}</h2>
        <p>{tr("policy_installed", { n: status.quorum[1], k: status.quorum[0] })}</p>
        <ul class="plain">
          {status.bookkeepers.map((b) => (
            <li><strong>{b.name}</strong> · {b.operator} · <code>{b.url}</code></li>
          ))}
        </ul>
        <PolicyInstaller />
        <p class="muted small">{tr("data_location")}: <code>{status.data_dir}</code></p>
      </section>
      <section class="card danger-zone" aria-labelledby="s-reset">
        <h2 id="s-reset">{tr("reset_title")}</h2>
        <p>{tr("reset_text")}</p>
        {confirming ? (
          <div class="row">
            <p role="alert">{tr("reset_confirm")}</p>
            <button id="reset-confirm" type="button" class="button danger" onClick={() => { setConfirming(false); void reset(); }}>
              {tr("reset_button")}
            </button>
            <button type="button" class="button" onClick={() => setConfirming(false)}>{tr("back")}</button>
          </div>
        ) : (
          <button id="reset-data" type="button" class="button danger" onClick={() => setConfirming(true)}>{tr("reset_button")}</button>
        )}
        {resetMsg && <p role="status">{resetMsg}</p>}
      </section>
    </div>
  );
}
