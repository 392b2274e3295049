/** Date ranges in the org's time zone: the analytics API counts days as the org's local days. */
import type { DateRange } from "@/api/analytics";

export const PRESETS = [7, 30, 90] as const;
export type Preset = (typeof PRESETS)[number];
/** The API refuses longer ranges. */
export const MAX_RANGE_DAYS = 400;
export const DEFAULT_PRESET: Preset = 30;

/** The org's IANA zone, or UTC when it has none or the browser does not know it. */
export function orgTimeZone(settings: Record<string, unknown> | undefined): string {
  const zone = settings?.timezone;
  if (typeof zone !== "string" || !zone) return "UTC";
  try {
    new Intl.DateTimeFormat("en", { timeZone: zone });
    return zone;
  } catch {
    return "UTC";
  }
}

/** Today's date (`YYYY-MM-DD`) in `timeZone`. */
export function todayIn(timeZone: string, now: Date = new Date()): string {
  // en-CA formats as YYYY-MM-DD.
  return new Intl.DateTimeFormat("en-CA", { timeZone, year: "numeric", month: "2-digit", day: "2-digit" }).format(now);
}

const DAY_MS = 86_400_000;
const toUtc = (date: string) => Date.parse(`${date}T00:00:00Z`);

export function addDays(date: string, days: number): string {
  return new Date(toUtc(date) + days * DAY_MS).toISOString().slice(0, 10);
}

/** Days in the inclusive range. */
export function rangeDays({ from, to }: DateRange): number {
  return Math.round((toUtc(to) - toUtc(from)) / DAY_MS) + 1;
}

/** The last `days` days ending today, today included. */
export function presetRange(days: number, timeZone: string, now?: Date): DateRange {
  const to = todayIn(timeZone, now);
  return { from: addDays(to, -(days - 1)), to };
}

const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;

/** Why a custom range cannot be asked for, or null when it can. */
export function rangeProblem(range: { from: string; to: string }): string | null {
  if (!ISO_DATE.test(range.from) || !ISO_DATE.test(range.to) || Number.isNaN(toUtc(range.from)) || Number.isNaN(toUtc(range.to)))
    return "Pick a start and an end date.";
  if (range.from > range.to) return "The start date is after the end date.";
  if (rangeDays(range) > MAX_RANGE_DAYS) return `A range can span at most ${MAX_RANGE_DAYS} days.`;
  return null;
}

/** "Mar 3" for a chart axis, "Mar 3, 2026" with the year. */
export function formatDay(date: string, withYear = false): string {
  return new Date(toUtc(date)).toLocaleDateString("en", {
    month: "short",
    day: "numeric",
    ...(withYear ? { year: "numeric" } : {}),
    timeZone: "UTC",
  });
}

export function formatMonth(date: string): string {
  return new Date(toUtc(date)).toLocaleDateString("en", { month: "short", year: "numeric", timeZone: "UTC" });
}
