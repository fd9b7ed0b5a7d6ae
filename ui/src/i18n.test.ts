import { describe, expect, it } from "vitest";
import type { Warning } from "./api";
import { ago, detailLabel, format, initialLang, t, warningText } from "./i18n";

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

  it("has every key in Chinese and translates the verdict words", () => {
    expect(t("zh", "status_verified")).toBe("已验证");
    expect(t("en", "status_failed")).toBe("Not verified");
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
