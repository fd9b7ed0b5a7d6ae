import { createContext } from "preact";
import { useCallback, useContext, useEffect, useState } from "preact/hooks";
import { api, isCommandError, type AppStatus } from "./api";
import { initialLang, t, type Key, type Lang } from "./i18n";
import { Logo } from "./icons";
import { Consumer } from "./screens/consumer";
import { Warehouse } from "./screens/warehouse";
import { Auditor } from "./screens/auditor";
import { Settings, Setup } from "./screens/settings";

export type Role = "consumer" | "warehouse" | "auditor";
export const ROLES: Role[] = ["consumer", "warehouse", "auditor"];

interface Ctx {
  lang: Lang;
  tr: (key: Key, params?: Record<string, unknown>) => string;
  status: AppStatus;
  refresh: () => Promise<void>;
}

const AppContext = createContext<Ctx | null>(null);

export function useApp(): Ctx {
  const c = useContext(AppContext);
  if (!c) throw new Error("useApp outside the app");
  return c;
}

/** A command error (or anything thrown) as a message. */
export function errorMessage(e: unknown): string {
  if (isCommandError(e)) return e.message;
  return e instanceof Error ? e.message : String(e);
}

export function App() {
  const [status, setStatus] = useState<AppStatus | null>(null);
  const [failure, setFailure] = useState<string | null>(null);
  const [lang, setLang] = useState<Lang>(() => initialLang(null, navigator.languages ?? []));
  const [role, setRole] = useState<Role>("consumer");
  const [settingsOpen, setSettingsOpen] = useState(false);

  const refresh = useCallback(async () => {
    try {
      const s = await api.status();
      setStatus(s);
      if (s.lang === "en" || s.lang === "zh") setLang(s.lang);
      if (s.role && (ROLES as string[]).includes(s.role)) setRole(s.role as Role);
    } catch (e) {
      setFailure(errorMessage(e));
    }
  }, []);

  useEffect(() => {
    void refresh();
  }, [refresh]);

  useEffect(() => {
    document.documentElement.lang = lang === "zh" ? "zh-CN" : "en";
    document.title = t(lang, "app_name");
  }, [lang]);

  const chooseLang = (l: Lang) => {
    setLang(l);
    if (status?.policy) void api.setPreference("lang", l);
  };
  const chooseRole = (r: Role) => {
    setRole(r);
    setSettingsOpen(false);
    if (status?.policy) void api.setPreference("role", r);
  };

  const tr = (key: Key, params?: Record<string, unknown>) => t(lang, key, params);

  if (!status) {
    return (
      <main id="main" class="boot" aria-busy={failure ? "false" : "true"}>
        <p role={failure ? "alert" : "status"}>{failure ? tr("error", { message: failure }) : tr("loading")}</p>
      </main>
    );
  }

  const ctx: Ctx = { lang, tr, status, refresh };
  return (
    <AppContext.Provider value={ctx}>
      <a class="skip" href="#main">{tr("app_name")}</a>
      <header class="top">
        <div class="brand">
          <Logo />
          <span>{tr("app_name")}</span>
        </div>
        {status.policy && (
          <nav class="roles" aria-label={tr("roles_label")}>
            {ROLES.map((r) => (
              <button
                id={`role-${r}`}
                type="button"
                class={!settingsOpen && role === r ? "tab active" : "tab"}
                aria-current={!settingsOpen && role === r ? "page" : undefined}
                onClick={() => chooseRole(r)}
              >
                {tr(`role_${r}`)}
              </button>
            ))}
          </nav>
        )}
        <div class="top-actions">
          <button
            id="lang-toggle"
            type="button"
            class="chip"
            lang={lang === "en" ? "zh-CN" : "en"}
            aria-label={`${tr("language")}: ${lang === "en" ? t("zh", "lang_zh") : t("en", "lang_en")}`}
            onClick={() => chooseLang(lang === "en" ? "zh" : "en")}
          >
            {lang === "en" ? "中文" : "EN"}
          </button>
          {status.policy && (
            <button
              id="open-settings"
              type="button"
              class={settingsOpen ? "chip active" : "chip"}
              aria-pressed={settingsOpen}
              onClick={() => setSettingsOpen(!settingsOpen)}
            >
              {tr("settings")}
            </button>
          )}
        </div>
      </header>
      <main id="main" tabIndex={-1}>
        {!status.policy ? (
          <Setup />
        ) : settingsOpen ? (
          <Settings role={role} onRole={chooseRole} onLang={chooseLang} onClose={() => setSettingsOpen(false)} />
        ) : role === "consumer" ? (
          <Consumer />
        ) : role === "warehouse" ? (
          <Warehouse />
        ) : (
          <Auditor />
        )}
      </main>
    </AppContext.Provider>
  );
}
