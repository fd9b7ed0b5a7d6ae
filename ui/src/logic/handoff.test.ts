import { describe, expect, it } from "vitest";
import { addCode, allowedSteps, emptyForm, problems, toHandoff, withoutLabel } from "./handoff";

describe("handoff form", () => {
  it("adds each scanned code once and refuses codes that are not products", () => {
    let list: string[] = [];
    list = addCode(list, { product: "https://id.gs1.org/00/095060000000000011" }) ?? list;
    list = addCode(list, { product: "https://id.gs1.org/00/095060000000000011" }) ?? list;
    list = addCode(list, { product: "https://id.gs1.org/01/09506000134352/21/2" }) ?? list;
    expect(list).toHaveLength(2);
    expect(addCode(list, { product: null })).toBeNull();
  });

  it("keeps a label's secret in what it records and out of what it shows", () => {
    const unit = "https://id.gs1.org/01/09506000134352/10/L1/21/2";
    const labelled = `${unit}?tk=AAAAAAAAAAAAAAAAAAAAAA`;
    let list = addCode([], { product: unit, label: labelled }) ?? [];
    expect(list).toEqual([labelled]);
    list = addCode(list, { product: unit, label: null }) ?? list;
    expect(list).toEqual([labelled]);
    expect(withoutLabel(labelled)).toBe(unit);
    expect(withoutLabel(`${unit}?17=281231&tk=x&linkType=gs1:pip`)).toBe(`${unit}?17=281231&linkType=gs1:pip`);
    expect(withoutLabel(unit)).toBe(unit);
  });

  it("says what a step still needs", () => {
    const f = emptyForm("ship");
    expect(problems(f)).toEqual(["no_items", "no_place", "no_counterparty"]);
    const ready = { ...f, items: ["x"], place: "9506000000012", counterparty: "9506000000029" };
    expect(problems(ready)).toEqual([]);
    expect(problems({ ...ready, step: "pack" })).toEqual(["no_parent"]);
    expect(problems({ ...ready, step: "transform" })).toEqual(["no_outputs"]);
    expect(problems({ ...ready, readings: [{ celsius: "abc", time: "2026-03-02T08:00:00Z" }] })).toEqual(["bad_reading"]);
    expect(problems({ ...ready, readings: [{ celsius: "3,5", time: "2026-03-02T08:00:00Z" }] })).toEqual([]);
  });

  it("builds the handoff the Rust side signs, without fields the step does not take", () => {
    const f = {
      ...emptyForm("receive"), items: ["a"], place: "9506000000012", counterparty: "9506000000029", parent: "ignored",
      readings: [{ celsius: "3,5", time: "2026-03-02T08:00:00Z" }],
    };
    const h = toHandoff(f, "9506000000005");
    expect(h.step).toBe("receive");
    expect(h.parent).toBeNull();
    expect(h.counterparty).toBe("9506000000029");
    expect(h.readings).toEqual([{ celsius: 3.5, time: "2026-03-02T08:00:00.000Z" }]);
    expect(h.org).toBe("9506000000005");
    expect("time" in h).toBe(false);
    expect(toHandoff({ ...f, step: "sell" }, "o").counterparty).toBeNull();
    expect(toHandoff({ ...f, step: "pack", parent: " p " }, "o").parent).toBe("p");
  });

  it("offers only the steps the certification allows", () => {
    expect(allowedSteps(["receiving", "shipping", "packing", "unpacking"])).toEqual(["receive", "ship", "pack", "unpack"]);
    expect(allowedSteps([])).toEqual([]);
  });
});
