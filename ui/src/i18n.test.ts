import { describe, expect, it } from "vitest";
import type { Warning } from "./api";
import { ago, detailLabel, duration, format, initialLang, t, warningText } from "./i18n";

const w = (code: string, params: Record<string, unknown> = {}, bookkeeper: string | null = null): Warning =>
  ({ code, severity: "warning", text: `english ${code}`, bookkeeper, step: null, params });

describe("i18n", () => {
  it("fills placeholders and leaves unknown ones visible", () => {
    expect(format("{a} of {b}", { a: 1, b: 3 })).toBe("1 of 3");
    expect(format("{a} {missing}", { a: "x" })).toBe("x {missing}");
  });

  it("words warnings from their code and parameters in both languages", () => {
    expect(warningText("en", w("already_sold", { count: 1 }))).toMatch(/already sold/);
    expect(warningText("en", w("already_sold", { count: 3 }))).toMatch(/3 times/);
    expect(warningText("zh", w("recalled"))).toBe("该产品所在批次已被召回。请勿使用。");
    expect(warningText("en", w("cold_chain_excursion", { celsius: 9, min: -1, max: 2 }))).toBe(
      "The temperature left the safe range: 9 °C (allowed -1 to 2 °C).",
    );
    expect(warningText("en", w("cold_chain_excursion", { celsius: 9 }))).toMatch(/alarm at 9/);
    expect(warningText("zh", w("partly_reachable", { reachable: 1, total: 3 }))).toBe("仅能连接 3 个记账方中的 1 个。");
    expect(warningText("en", w("log_inconsistent", { kind: "fork" }, "bk2"))).toMatch(/bk2 .*\(Fork\)/);
    expect(warningText("zh", w("log_unreachable", {}, "bk3"))).toBe("无法连接记账方 bk3。");
    // An unknown code falls back to the client's English text.
    expect(warningText("zh", w("something_new"))).toBe("english something_new");
  });

  it("words records set aside by why, in both languages", () => {
    const never = w("set_aside", { count: 2, org: "Acme Fisheries", why: "never_held" });
    expect(warningText("en", never)).toBe("2 record(s) signed by Acme Fisheries were set aside: Acme Fisheries never held this product.");
    expect(warningText("zh", never)).toBe("Acme Fisheries 签名的 2 条记录已被搁置：Acme Fisheries 从未经手该产品。");
    const early = w("set_aside", { count: 1, org: "Acme Fisheries", why: "before_commissioning" });
    expect(warningText("en", early)).toMatch(/dated before the product was made/);
    expect(warningText("zh", early)).toMatch(/早于该产品的生产时间/);
    // A cause this app does not know yet is worded by the client.
    expect(warningText("zh", w("set_aside", { count: 1, org: "X", why: "something_new" }))).toBe("english set_aside");
  });

  it("words a stale answer's ages in human units, in both languages", () => {
    const stale = w("stale_checkpoint", { age_seconds: 3 * 3600 + 5, max_seconds: 600 }, "bk2");
    expect(warningText("en", stale)).toBe(
      "Bookkeeper bk2 sent an answer its witnesses last vouched for 3 h ago (at most 10 min allowed): it may be an old answer replayed, and was not used.",
    );
    expect(warningText("zh", stale)).toBe(
      "记账方 bk2 发送的答复，见证方最近一次确认是在 3 小时前（最多允许 10 分钟）：可能是被重放的旧答复，未被采用。",
    );
    expect(warningText("en", w("stale_checkpoint", {}, "bk2"))).toBe("english stale_checkpoint");
  });

  it("words the new verdict reasons from their parameters", () => {
    expect(warningText("en", w("too_few_bookkeepers", { usable: 1, need: 2 }))).toBe("Only 1 of the 2 independent bookkeepers needed could be checked.");
    expect(warningText("zh", w("too_few_bookkeepers", { usable: 1, need: 2 }))).toBe("所需的 2 个独立记账方中，只有 1 个能够核验。");
    expect(warningText("en", w("unknown_serial", { serial: "999" }))).toMatch(/Serial number 999 was never registered/);
    expect(warningText("zh", w("unregistered_resolver", { host: "id.example.net" }))).toMatch(/id\.example\.net/);
    expect(warningText("en", w("label_forged", { name: "Canterbury Nutrition Ltd" }))).toMatch(/Canterbury Nutrition Ltd, the brand, did not make/);
    expect(warningText("zh", w("label_forged", { name: "Canterbury Nutrition Ltd" }))).toMatch(/品牌方 Canterbury Nutrition Ltd/);
    expect(warningText("en", w("label_forged", {}))).toMatch(/broken signature/);
    expect(warningText("zh", w("label_signer_revoked", { name: "X", since: "2026-04-01" }))).toMatch(/2026-04-01/);
    expect(warningText("en", w("log_omitted", { count: 2 }, "bk1"))).toMatch(/^Bookkeeper bk1 did not send 2 record/);
    expect(warningText("zh", w("lot_only", { serial: "77" }))).toBe("该产品按批次追溯：无法核验其序列号 77。");
  });

  it("says spans of time in steps that never count one", () => {
    expect(duration("en", 45)).toBe("45 s");
    expect(duration("en", 119)).toBe("119 s");
    expect(duration("en", 720)).toBe("12 min");
    expect(duration("zh", 3 * 3600)).toBe("3 小时");
    expect(duration("en", 2 * 86400)).toBe("2 days");
    expect(duration("zh", 5 * 86400)).toBe("5 天");
  });

  it("has every key in Chinese and translates the verdict words", () => {
    expect(t("zh", "status_verified")).toBe("已验证");
    expect(t("en", "status_failed")).toBe("Not verified");
    expect(t("en", "status_unverifiable")).toBe("Cannot check now");
    expect(t("zh", "status_unverifiable")).toBe("暂时无法核验");
    expect(detailLabel("zh", "vesselName")).toBe("渔船");
    expect(detailLabel("en", "unknownAttribute")).toBe("unknownAttribute");
  });

  it("starts in the saved language, else Chinese on a Chinese system, else English", () => {
    expect(initialLang("en", ["zh-CN"])).toBe("en");
    expect(initialLang(null, ["zh-TW", "en"])).toBe("zh");
    expect(initialLang(null, ["de-DE"])).toBe("en");
    expect(initialLang("fr", [])).toBe("en");
  });

  it("says how long ago", () => {
    expect(ago("en", 100, 102)).toBe("just now");
    expect(ago("en", 100, 190)).toBe("1 min ago");
    expect(ago("zh", 0, 7200)).toBe("2 小时前");
    expect(ago("en", 0, 3 * 86400)).toBe("3 days ago");
  });
});
