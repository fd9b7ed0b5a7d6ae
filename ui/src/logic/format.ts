// Small formatting helpers shared by the screens.
import type { Lang } from "../i18n";

/** A date and time in the reader's language, in the device's time zone. */
export function dateTime(lang: Lang, iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return d.toLocaleString(lang === "zh" ? "zh-CN" : "en-GB", {
    year: "numeric", month: "short", day: "numeric", hour: "2-digit", minute: "2-digit",
  });
}

/** A calendar date in the reader's language: master data dates (harvest, best before) are days. */
export function date(lang: Lang, iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return d.toLocaleDateString(lang === "zh" ? "zh-CN" : "en-GB", { year: "numeric", month: "short", day: "numeric" });
}

/** An event or lot detail as a reader wants it: a country by name, a date as a day (CBV's
 *  `harvestStartDate`, `bestBeforeDate`, … are xsd dates or date-times), anything else as given. */
export function detailValue(lang: Lang, key: string, value: string): string {
  if (key === "countryOfOrigin") return countryName(lang, value) || value;
  if (key.endsWith("Date") && /^\d{4}-\d{2}-\d{2}/.test(value)) {
    // A bare date is a calendar day, not midnight UTC: read it as given.
    return date(lang, value.length === 10 ? `${value}T12:00:00` : value);
  }
  return value;
}

/** A long key or hash shortened for display, whole in the title. */
export function short(s: string, keep = 10): string {
  return s.length <= 2 * keep + 1 ? s : `${s.slice(0, keep)}…${s.slice(-keep)}`;
}

/** The name part of a verifier key (`name+hex+base64`). */
export function keyName(vkey: string): string {
  return vkey.split("+")[0] ?? vkey;
}

/** Country code → flag-free display name in the reader's language. */
export function countryName(lang: Lang, code: string | null): string {
  if (!code) return "";
  try {
    return new Intl.DisplayNames([lang === "zh" ? "zh-CN" : "en"], { type: "region" }).of(code) ?? code;
  } catch {
    return code;
  }
}

/** Unix seconds now. */
export function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

/** The business documents an event names (`bizTransactionList`), as "type id"; nothing for text
 * that is not an event. What an auditor reads that the brand may withhold from shoppers. */
export function documentsOf(eventJson: string): string[] {
  let event: unknown;
  try { event = JSON.parse(eventJson); } catch { return []; }
  const list = (event as { bizTransactionList?: unknown } | null)?.bizTransactionList;
  if (!Array.isArray(list)) return [];
  return list.flatMap((d: { type?: unknown; bizTransaction?: unknown }) =>
    typeof d?.bizTransaction === "string"
      ? [[typeof d.type === "string" ? d.type.split(/[:/#]/).pop() : "", d.bizTransaction].join(" ").trim()]
      : []);
}
