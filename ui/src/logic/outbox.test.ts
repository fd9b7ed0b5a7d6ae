import { describe, expect, it } from "vitest";
import type { Delivery, OutboxItem } from "../api";
import { pending, summary } from "./outbox";

const d = (bookkeeper: string, receipt: string | null, last_error: string | null = null): Delivery =>
  ({ bookkeeper, receipt, index: receipt ? 7 : null, attempts: 1, next_attempt_at: 0, last_error });
const item = (deliveries: Delivery[]): OutboxItem => ({ leaf: "l", summary: "s", created_at: 0, deliveries });

describe("outbox", () => {
  it("summarises each entry's deliveries", () => {
    expect(summary(item([d("bk1", "r"), d("bk2", "r")]))).toEqual({ done: 2, total: 2, state: "delivered" });
    expect(summary(item([d("bk1", "r"), d("bk2", null)])).state).toBe("partial");
    expect(summary(item([d("bk1", "r"), d("bk2", null, "unreachable")])).state).toBe("failing");
    expect(summary(item([d("bk1", null)])).state).toBe("pending");
    expect(summary(item([])).state).toBe("pending");
    expect(pending([item([d("bk1", "r")]), item([d("bk1", null)])])).toBe(1);
  });
});
