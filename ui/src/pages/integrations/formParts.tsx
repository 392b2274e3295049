/** Small form pieces the connect dialogs share: name/value rows (headers) and the org secret picker. */
import { Plus, Trash2 } from "lucide-react";

import { useSecrets } from "@/api/org";
import { Button } from "@/components/ui/button";
import { Input, NativeSelect } from "@/components/ui/input";

export interface Pair {
  key: string;
  value: string;
}

/** Rows with an empty name are left out; the API refuses repeated names, so the last one wins here. */
export const pairsToObject = (pairs: Pair[]): Record<string, string> =>
  Object.fromEntries(pairs.filter((pair) => pair.key.trim()).map((pair) => [pair.key.trim(), pair.value]));

export function PairRows({
  id,
  pairs,
  onChange,
  keyLabel,
  valueLabel,
  valuePlaceholder,
}: {
  id: string;
  pairs: Pair[];
  onChange: (pairs: Pair[]) => void;
  keyLabel: string;
  valueLabel: string;
  valuePlaceholder?: string;
}) {
  const set = (index: number, patch: Partial<Pair>) => onChange(pairs.map((pair, i) => (i === index ? { ...pair, ...patch } : pair)));
  return (
    <div className="space-y-2" id={id}>
      {pairs.map((pair, index) => (
        <div key={index} className="flex gap-2">
          <Input aria-label={`${keyLabel} ${index + 1}`} className="font-mono text-xs" value={pair.key} maxLength={128} onChange={(e) => set(index, { key: e.target.value })} />
          <Input
            aria-label={`${valueLabel} ${index + 1}`}
            className="font-mono text-xs"
            placeholder={valuePlaceholder}
            value={pair.value}
            maxLength={4096}
            onChange={(e) => set(index, { value: e.target.value })}
          />
          <Button variant="ghost" size="icon" aria-label={`Remove ${keyLabel.toLowerCase()} ${index + 1}`} onClick={() => onChange(pairs.filter((_, i) => i !== index))}>
            <Trash2 />
          </Button>
        </div>
      ))}
      <Button variant="outline" size="sm" onClick={() => onChange([...pairs, { key: "", value: "" }])}>
        <Plus /> Add {keyLabel.toLowerCase()}
      </Button>
    </div>
  );
}

/** The organization's secrets by name (their values never leave Vault); the connection stores the name only. */
export function SecretSelect({ id, value, onChange, required }: { id: string; value: string; onChange: (name: string) => void; required?: boolean }) {
  const secrets = useSecrets(true);
  const names = secrets.data?.items.map((secret) => secret.name) ?? [];
  return (
    <NativeSelect id={id} value={value} required={required} onChange={(e) => onChange(e.target.value)}>
      <option value="">{secrets.isPending ? "Loading secrets…" : names.length ? "Choose a secret" : "No secrets yet: add one in Settings → Secrets"}</option>
      {names.map((name) => (
        <option key={name} value={name}>
          {name}
        </option>
      ))}
    </NativeSelect>
  );
}
