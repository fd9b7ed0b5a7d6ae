import { describe, expect, it } from "vitest";
import { detailValue, documentsOf } from "./format";

describe("detailValue", () => {
  it("shows a harvest date as a day, in the reader's language", () => {
    expect(detailValue("en", "harvestStartDate", "2026-10-17T19:22:02+13:00")).toMatch(/^1[67] Oct 2026$/);
    expect(detailValue("en", "bestBeforeDate", "2028-03-01")).toBe("1 Mar 2028");
    expect(detailValue("zh", "bestBeforeDate", "2028-03-01")).toBe("2028年3月1日");
  });

  it("names a country and leaves other values as given", () => {
    expect(detailValue("en", "countryOfOrigin", "NZ")).toBe("New Zealand");
    expect(detailValue("en", "catchArea", "FAO 81")).toBe("FAO 81");
    expect(detailValue("en", "harvestStartDate", "not a date")).toBe("not a date");
  });
});

describe("documentsOf", () => {
  it("names each business document of an event and nothing of other text", () => {
    const e = JSON.stringify({ type: "ObjectEvent", bizTransactionList: [
      { type: "desadv", bizTransaction: "urn:epcglobal:cbv:bt:9506000000029:DESADV-7741" },
      { type: "urn:epcglobal:cbv:btt:po", bizTransaction: "PO-1" }, { type: "po" }] });
    expect(documentsOf(e)).toEqual(["desadv urn:epcglobal:cbv:bt:9506000000029:DESADV-7741", "po PO-1"]);
    expect(documentsOf('{"_sd":["x"]}')).toEqual([]);
    expect(documentsOf("not json")).toEqual([]);
    expect(documentsOf("null")).toEqual([]);
  });
});
