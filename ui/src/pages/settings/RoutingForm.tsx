/** The organization's default provider and model, and the fallback chain AI nodes use when they have none. */
import { ArrowDown, ArrowUp, Plus, X } from "lucide-react";
import * as React from "react";

import { errorMessage } from "@/api/http";
import { PROVIDER_LABELS, routingOf, useSaveRouting, type ProviderName, type ProviderSettings } from "@/api/providers";
import { Button } from "@/components/ui/button";
import { Card, CardContent, CardHeader, CardTitle } from "@/components/ui/card";
import { Alert, toast } from "@/components/ui/feedback";
import { Field, Input, NativeSelect } from "@/components/ui/input";

const MAX_FALLBACKS = 10; // the server's bound

export function RoutingForm({
  settings,
  providers,
  writable,
}: {
  settings: Record<string, unknown>;
  providers: ProviderSettings[];
  writable: boolean;
}) {
  const saved = routingOf(settings);
  const [defaultProvider, setDefaultProvider] = React.useState<string>(saved.default_provider ?? "");
  const [defaultModel, setDefaultModel] = React.useState(saved.default_model ?? "");
  const [fallbacks, setFallbacks] = React.useState<string[]>(saved.fallback_models ?? []);
  const save = useSaveRouting();
  const choices = new Set<ProviderName>(providers.map((p) => p.provider));
  if (saved.default_provider) choices.add(saved.default_provider);

  const move = (index: number, by: number) =>
    setFallbacks((list) => {
      const next = [...list];
      const [item] = next.splice(index, 1);
      next.splice(index + by, 0, item ?? "");
      return next;
    });

  return (
    <Card>
      <CardHeader>
        <CardTitle>Defaults and fallback</CardTitle>
      </CardHeader>
      <CardContent>
        <form
          className="space-y-4"
          aria-label="Defaults and fallback"
          onSubmit={(event) => {
            event.preventDefault();
            save.mutate(
              {
                ...saved,
                default_provider: (defaultProvider || null) as ProviderName | null,
                default_model: defaultModel.trim() || null,
                fallback_models: fallbacks.map((m) => m.trim()).filter(Boolean),
              },
              { onSuccess: () => toast("Defaults saved", "success") },
            );
          }}
        >
          {save.error ? <Alert>{errorMessage(save.error)}</Alert> : null}
          <div className="grid gap-4 md:grid-cols-2">
            <Field id="routing-provider" label="Default provider" hint="Answers model names no provider claims (e.g. llama3.1).">
              <NativeSelect id="routing-provider" disabled={!writable} value={defaultProvider} onChange={(e) => setDefaultProvider(e.target.value)}>
                <option value="">Ollama (built-in default)</option>
                {[...choices].map((name) => (
                  <option key={name} value={name}>
                    {PROVIDER_LABELS[name]}
                  </option>
                ))}
              </NativeSelect>
            </Field>
            <Field id="routing-model" label="Default model" hint="For AI nodes that name no model.">
              <Input id="routing-model" disabled={!writable} maxLength={200} placeholder="gpt-4o-mini" value={defaultModel} onChange={(e) => setDefaultModel(e.target.value)} />
            </Field>
          </div>
          <fieldset className="space-y-2">
            <legend className="text-sm font-medium text-slate-700">Fallback models</legend>
            <p className="text-xs text-slate-500">
              Tried in order when a call hits a rate limit, a server error, a timeout or a dropped connection. An AI node's own fallback list replaces this one.
            </p>
            {fallbacks.length === 0 ? <p className="text-xs text-slate-500">No fallback: a failed call fails the step.</p> : null}
            <ol className="space-y-1">
              {fallbacks.map((model, index) => (
                <li key={index} className="flex items-center gap-1">
                  <span className="w-5 text-right text-xs text-slate-500">{index + 1}.</span>
                  <Input
                    aria-label={`Fallback model ${index + 1}`}
                    disabled={!writable}
                    maxLength={200}
                    value={model}
                    onChange={(e) => setFallbacks((list) => list.map((m, i) => (i === index ? e.target.value : m)))}
                  />
                  {writable ? (
                    <>
                      <Button type="button" variant="ghost" size="icon" aria-label={`Move fallback model ${index + 1} up`} disabled={index === 0} onClick={() => move(index, -1)}>
                        <ArrowUp />
                      </Button>
                      <Button type="button" variant="ghost" size="icon" aria-label={`Move fallback model ${index + 1} down`} disabled={index === fallbacks.length - 1} onClick={() => move(index, 1)}>
                        <ArrowDown />
                      </Button>
                      <Button type="button" variant="ghost" size="icon" aria-label={`Remove fallback model ${index + 1}`} onClick={() => setFallbacks((list) => list.filter((_, i) => i !== index))}>
                        <X />
                      </Button>
                    </>
                  ) : null}
                </li>
              ))}
            </ol>
            {writable && fallbacks.length < MAX_FALLBACKS ? (
              <Button type="button" variant="outline" size="sm" onClick={() => setFallbacks((list) => [...list, ""])}>
                <Plus /> Add fallback model
              </Button>
            ) : null}
          </fieldset>
          {writable ? (
            <Button type="submit" disabled={save.isPending}>
              {save.isPending ? "Saving…" : "Save defaults"}
            </Button>
          ) : (
            <p className="text-xs text-slate-500">Only owners and admins change these.</p>
          )}
        </form>
      </CardContent>
    </Card>
  );
}
