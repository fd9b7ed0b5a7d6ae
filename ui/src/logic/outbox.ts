// How the outbox shows each entry's delivery.
import type { OutboxItem } from "../api";

export type DeliveryState = "delivered" | "partial" | "pending" | "failing";

export interface Summary { done: number; total: number; state: DeliveryState }

export function summary(item: OutboxItem): Summary {
  const total = item.deliveries.length;
  const done = item.deliveries.filter((d) => d.receipt !== null).length;
  const failing = item.deliveries.some((d) => d.receipt === null && d.last_error !== null);
  const state: DeliveryState =
    total > 0 && done === total ? "delivered" : failing ? "failing" : done > 0 ? "partial" : "pending";
  return { done, total, state };
}

/** Entries still missing a receipt from some bookkeeper. */
export function pending(items: OutboxItem[]): number {
  return items.filter((i) => summary(i).state !== "delivered").length;
}
