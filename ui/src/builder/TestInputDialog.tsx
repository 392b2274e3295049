/**
 * The Test dialog: input generated from the trigger's input schema (a webhook's in the delivery's shape), its
 * schema problems shown before the run, and the choices for steps that send or change something.
 */
import * as React from "react";

import type { JsonObject, JsonValue } from "@/api/definition";
import type { TestNodeOption } from "@/api/executions";
import { useBuilderStore } from "@/builder/store";
import { SideEffectOptions } from "@/builder/SideEffectOptions";
import { inputProblems, isDelivery, sampleInput } from "@/builder/testInput";
import { buildTestOptions, sideEffectNodes, type NodeChoice } from "@/builder/testOptions";
import { Button } from "@/components/ui/button";
import { Dialog, DialogContent, DialogFooter } from "@/components/ui/dialog";
import { Alert } from "@/components/ui/feedback";
import { Field, Textarea } from "@/components/ui/input";

const pretty = (value: JsonValue) => JSON.stringify(value, null, 2);

function parse(text: string): { value?: JsonValue; error?: string } {
  try {
    return { value: JSON.parse(text) as JsonValue };
  } catch (problem) {
    return { error: `Invalid JSON: ${problem instanceof Error ? problem.message : "it cannot be read"}` };
  }
}

export function TestInputDialog({
  open,
  onOpenChange,
  onRun,
  error,
}: {
  open: boolean;
  onOpenChange: (open: boolean) => void;
  onRun: (input: JsonValue, nodes: Record<string, TestNodeOption>) => void;
  error: string | null;
}) {
  const nodes = useBuilderStore((state) => state.nodes);
  const trigger = React.useMemo(() => (nodes.find((node) => node.type === "trigger")?.data.config ?? null) as JsonObject | null, [nodes]);
  const sideEffects = React.useMemo(() => sideEffectNodes(nodes), [nodes]);
  const [text, setText] = React.useState(() => pretty(sampleInput(trigger)));
  const [edited, setEdited] = React.useState(false);
  const [choices, setChoices] = React.useState<Record<string, NodeChoice>>({});
  const [sampleErrors, setSampleErrors] = React.useState<Record<string, string>>({});

  // Until the person types, the input follows the trigger (its kind and schema may change between tests).
  const sample = React.useMemo(() => pretty(sampleInput(trigger)), [trigger]);
  React.useEffect(() => {
    if (open && !edited) setText(sample);
  }, [open, edited, sample]);

  // Checked only while the dialog is open: closed, it still re-renders with every change on the canvas.
  const parsed = React.useMemo(() => (open ? parse(text) : { value: null }), [open, text]);
  const problems = React.useMemo(
    () => (open && parsed.error === undefined ? inputProblems(trigger, parsed.value ?? null) : []),
    [open, parsed, trigger],
  );
  const delivery = isDelivery(trigger);
  return (
    <Dialog open={open} onOpenChange={onOpenChange}>
      <DialogContent title="Test run" description="Runs the current draft with this input. Steps that send or change something show what they would send instead.">
        <form
          className="space-y-4"
          onSubmit={(event) => {
            event.preventDefault();
            if (parsed.error !== undefined || problems.length) return;
            const built = buildTestOptions(choices, new Set(sideEffects.map((node) => node.id)));
            setSampleErrors(built.errors);
            if (Object.keys(built.errors).length) return;
            onRun(parsed.value ?? null, built.nodes);
          }}
        >
          {error ? <Alert>{error}</Alert> : null}
          <Field
            id="test-input"
            label="Input (JSON)"
            hint={
              delivery
                ? "A webhook run gets the delivery: body (what the input schema describes), headers and query."
                : trigger?.input_schema
                  ? "A sample generated from the trigger's input schema: edit it to try other values."
                  : "The trigger has no input schema: any JSON will do."
            }
            error={parsed.error ?? null}
          >
            <Textarea
              id="test-input"
              rows={8}
              className="font-mono text-xs"
              value={text}
              onChange={(event) => {
                setEdited(true);
                setText(event.target.value);
              }}
            />
          </Field>
          {problems.length ? (
            <Alert tone="warning">
              <p className="font-medium">This input does not match the trigger's input schema:</p>
              <ul className="mt-1 list-disc pl-4" aria-label="Input problems">
                {problems.map((problem) => (
                  <li key={problem}>{problem}</li>
                ))}
              </ul>
            </Alert>
          ) : null}
          {edited && text !== sample ? (
            <button type="button" className="text-xs text-indigo-700 underline" onClick={() => setEdited(false)}>
              Start again from the sample
            </button>
          ) : null}
          <SideEffectOptions
            nodes={sideEffects}
            choices={choices}
            errors={sampleErrors}
            onChange={(id, choice) => setChoices((current) => ({ ...current, [id]: choice }))}
          />
          <DialogFooter>
            <Button type="submit" disabled={parsed.error !== undefined || problems.length > 0}>
              Run test
            </Button>
          </DialogFooter>
        </form>
      </DialogContent>
    </Dialog>
  );
}
