/** The Test dialog's section for side-effecting nodes: preview only, preview with a sample response, or send. */
import type { NodeChoice, SideEffectNode } from "@/builder/testOptions";
import { defaultSample } from "@/builder/testOptions";
import { Field, NativeSelect, Textarea } from "@/components/ui/input";

const MODES: { value: NodeChoice["mode"]; label: string }[] = [
  { value: "preview", label: "Preview only (nothing is sent)" },
  { value: "sample", label: "Preview, with a sample response" },
  { value: "send", label: "Really send" },
];

export function SideEffectOptions({
  nodes,
  choices,
  errors,
  onChange,
}: {
  nodes: SideEffectNode[];
  choices: Record<string, NodeChoice>;
  errors: Record<string, string>;
  onChange: (id: string, choice: NodeChoice) => void;
}) {
  if (nodes.length === 0) return null;
  return (
    <fieldset className="space-y-3 rounded-md border border-slate-200 p-3">
      <legend className="px-1 text-sm font-medium text-slate-700">Steps that send or change something</legend>
      <p className="text-xs text-slate-500">
        In a test they show what they would send instead of sending it. Give one a sample response so the steps after it
        have something to read, or let it really send.
      </p>
      {nodes.map((node) => {
        const choice = choices[node.id] ?? { mode: "preview", sampleText: "" };
        const selectId = `test-mode-${node.id}`;
        const sampleId = `test-sample-${node.id}`;
        return (
          <div key={node.id} className="space-y-2">
            <Field id={selectId} label={`${node.name} (${node.id})`}>
              <NativeSelect
                id={selectId}
                value={choice.mode}
                onChange={(event) => {
                  const mode = event.target.value as NodeChoice["mode"];
                  const sampleText = choice.sampleText || JSON.stringify(defaultSample(node.nodeType), null, 2);
                  onChange(node.id, { mode, sampleText });
                }}
              >
                {MODES.map((mode) => (
                  <option key={mode.value} value={mode.value}>
                    {mode.label}
                  </option>
                ))}
              </NativeSelect>
            </Field>
            {choice.mode === "sample" ? (
              <Field
                id={sampleId}
                label={`Sample response of ${node.name}`}
                hint="Merged into the preview's output: the steps after it read these fields."
                error={errors[node.id] ?? null}
              >
                <Textarea
                  id={sampleId}
                  rows={5}
                  className="font-mono text-xs"
                  value={choice.sampleText}
                  onChange={(event) => onChange(node.id, { ...choice, sampleText: event.target.value })}
                />
              </Field>
            ) : null}
            {choice.mode === "send" ? (
              <p className="text-xs text-amber-700">This step will really send when the test runs.</p>
            ) : null}
          </div>
        );
      })}
    </fieldset>
  );
}
