/** Presets (last 7/30/90 days) or a custom from/to, kept in the URL so a view can be shared and restored. */
import * as React from "react";
import { useSearchParams } from "react-router";

import type { DateRange } from "@/api/analytics";
import { useAuth } from "@/auth/AuthProvider";
import { Button } from "@/components/ui/button";
import { Input, Label } from "@/components/ui/input";
import { useUrlParams } from "@/lib/useUrlParams";
import { cn } from "@/lib/utils";
import { DEFAULT_PRESET, orgTimeZone, PRESETS, presetRange, rangeProblem } from "@/pages/analytics/range";

export interface RangeState {
  range: DateRange;
  /** The preset in use, or "custom". */
  preset: string;
  timeZone: string;
}

/** The range the URL asks for (`?range=7|30|90` or `?from&to`), defaulting to the last 30 days in the org's zone. */
export function useDateRange(): RangeState {
  const [params] = useUrlParams();
  const { me } = useAuth();
  const timeZone = orgTimeZone(me?.org.settings);
  const from = params.get("from") ?? "";
  const to = params.get("to") ?? "";
  if ((from || to) && rangeProblem({ from, to }) === null) return { range: { from, to }, preset: "custom", timeZone };
  const asked = Number(params.get("range"));
  const days = (PRESETS as readonly number[]).includes(asked) ? asked : DEFAULT_PRESET;
  return { range: presetRange(days, timeZone), preset: String(days), timeZone };
}

/** Sets range, from and to in one navigation (separate setSearchParams calls in one tick overwrite each other). */
function useSetRange(): (values: { range?: string; from?: string; to?: string }) => void {
  const [, setParams] = useSearchParams();
  return (values) =>
    setParams(
      (current) => {
        const next = new URLSearchParams(current);
        for (const key of ["range", "from", "to"] as const) {
          const value = values[key];
          if (value) next.set(key, value);
          else next.delete(key);
        }
        return next;
      },
      { replace: true },
    );
}

export function RangePicker({ state }: { state: RangeState }) {
  const setRange = useSetRange();
  const [custom, setCustom] = React.useState(state.preset === "custom");
  const [draft, setDraft] = React.useState(state.range);
  const problem = rangeProblem(draft);

  const choosePreset = (days: number) => {
    setCustom(false);
    setRange({ range: days === DEFAULT_PRESET ? "" : String(days) });
  };

  return (
    <div className="flex flex-wrap items-end gap-2">
      <div role="group" aria-label="Date range" className="flex rounded-md border border-slate-300 bg-white p-0.5">
        {PRESETS.map((days) => (
          <button
            key={days}
            type="button"
            aria-pressed={!custom && state.preset === String(days)}
            onClick={() => choosePreset(days)}
            className={cn(
              "rounded px-2.5 py-1 text-sm text-slate-600 hover:text-slate-900",
              !custom && state.preset === String(days) && "bg-indigo-50 font-medium text-indigo-700",
            )}
          >
            {days} days
          </button>
        ))}
        <button
          type="button"
          aria-pressed={custom}
          onClick={() => {
            setDraft(state.range);
            setCustom(true);
          }}
          className={cn("rounded px-2.5 py-1 text-sm text-slate-600 hover:text-slate-900", custom && "bg-indigo-50 font-medium text-indigo-700")}
        >
          Custom
        </button>
      </div>
      {custom ? (
        <form
          className="flex flex-wrap items-end gap-2"
          onSubmit={(event) => {
            event.preventDefault();
            if (problem) return;
            setRange({ from: draft.from, to: draft.to });
          }}
        >
          <div className="space-y-0.5">
            <Label htmlFor="range-from" className="text-xs">From</Label>
            <Input id="range-from" type="date" className="h-8 w-40" value={draft.from} max={draft.to} onChange={(e) => setDraft({ ...draft, from: e.target.value })} />
          </div>
          <div className="space-y-0.5">
            <Label htmlFor="range-to" className="text-xs">To</Label>
            <Input id="range-to" type="date" className="h-8 w-40" value={draft.to} min={draft.from} onChange={(e) => setDraft({ ...draft, to: e.target.value })} />
          </div>
          <Button type="submit" size="sm" disabled={problem !== null}>
            Apply
          </Button>
          {problem ? <p className="w-full text-xs text-red-600" role="alert">{problem}</p> : null}
        </form>
      ) : null}
    </div>
  );
}
