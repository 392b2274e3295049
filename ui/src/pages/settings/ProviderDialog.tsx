/** Add a provider, or change a saved one's key, server or default model (the key is never shown back). */
import * as React from "react";

import { errorMessage } from "@/api/http";
import { kindOf, PROVIDER_KINDS, useSaveProvider, type ProviderKind, type ProviderSettings } from "@/api/providers";
import { Button } from "@/components/ui/button";
import { Dialog, DialogContent, DialogFooter } from "@/components/ui/dialog";
import { Alert, toast } from "@/components/ui/feedback";
import { Field, Input, NativeSelect } from "@/components/ui/input";

export function ProviderDialog({ existing, taken }: { existing?: ProviderSettings; taken: string[] }) {
  const [open, setOpen] = React.useState(false);
  // A new provider starts on the first kind nobody configured yet (OpenAI and a compatible server share a slot).
  const firstFree = PROVIDER_KINDS.find((kind) => !taken.includes(kind.provider)) ?? PROVIDER_KINDS[0]!;
  const [kindId, setKindId] = React.useState<ProviderKind["id"]>(existing ? kindOf(existing).id : firstFree.id);
  const [apiKey, setApiKey] = React.useState("");
  const [baseUrl, setBaseUrl] = React.useState(existing?.base_url ?? "");
  const [model, setModel] = React.useState(existing?.default_model ?? "");
  const save = useSaveProvider();
  const kind = PROVIDER_KINDS.find((k) => k.id === kindId) ?? firstFree;
  const replacing = !existing && taken.includes(kind.provider);

  const reset = () => {
    setApiKey("");
    setBaseUrl(existing?.base_url ?? "");
    setModel(existing?.default_model ?? "");
    setKindId(existing ? kindOf(existing).id : firstFree.id);
    save.reset();
  };

  return (
    <Dialog
      open={open}
      onOpenChange={(next) => {
        setOpen(next);
        if (!next) reset();
      }}
    >
      <Button variant={existing ? "ghost" : "default"} size={existing ? "sm" : "default"} onClick={() => setOpen(true)}>
        {existing ? "Edit" : "Add provider"}
      </Button>
      <DialogContent
        title={existing ? `Edit ${kind.label}` : "Add an AI provider"}
        description="The key is stored in the vault and never shown again; AI nodes of every agent use it."
      >
        <form
          className="space-y-4"
          onSubmit={(event) => {
            event.preventDefault();
            save.mutate(
              {
                provider: kind.provider,
                // Empty on an edit keeps the saved key (the server never sends it back); a new entry starts clean.
                api_key: existing ? apiKey || null : apiKey,
                base_url: kind.baseUrl === "hidden" ? null : baseUrl.trim() || null,
                default_model: model.trim() || null,
              },
              {
                onSuccess: () => {
                  setOpen(false);
                  reset();
                  toast(`${kind.label} saved`, "success");
                },
              },
            );
          }}
        >
          {save.error ? <Alert>{errorMessage(save.error)}</Alert> : null}
          <Field id="provider-kind" label="Provider">
            <NativeSelect id="provider-kind" disabled={Boolean(existing)} value={kindId} onChange={(e) => setKindId(e.target.value as ProviderKind["id"])}>
              {PROVIDER_KINDS.map((k) => (
                <option key={k.id} value={k.id}>
                  {k.label}
                </option>
              ))}
            </NativeSelect>
          </Field>
          {replacing ? (
            <Alert tone="warning">
              {kind.provider === "openai" ? "OpenAI and an OpenAI-compatible server share one slot: " : ""}
              saving replaces the {kind.provider === "openai" ? "one" : kind.label} already set up.
            </Alert>
          ) : null}
          <Field
            id="provider-key"
            label="API key"
            hint={
              existing?.has_api_key
                ? "A key is set. Leave empty to keep it."
                : kind.needsKey
                  ? "From the provider's dashboard."
                  : "Only if the server asks for one."
            }
          >
            <Input
              id="provider-key"
              type="password"
              autoComplete="off"
              required={kind.needsKey && !existing?.has_api_key}
              maxLength={1000}
              value={apiKey}
              onChange={(e) => setApiKey(e.target.value)}
            />
          </Field>
          {kind.baseUrl !== "hidden" ? (
            <Field
              id="provider-url"
              label="Server address"
              hint={kind.baseUrl === "required" ? "The server's /v1 address, e.g. http://my-server:8000/v1 (vLLM, LM Studio, Azure)." : `Leave empty for ${kind.defaultBaseUrl ?? "the provider's own address"}.`}
            >
              <Input
                id="provider-url"
                type="url"
                required={kind.baseUrl === "required"}
                maxLength={500}
                placeholder={kind.defaultBaseUrl}
                value={baseUrl}
                onChange={(e) => setBaseUrl(e.target.value)}
              />
            </Field>
          ) : null}
          <Field id="provider-model" label="Default model" hint="Used by AI nodes that name no model when this is the default provider.">
            <Input id="provider-model" maxLength={200} placeholder={kind.placeholderModel} value={model} onChange={(e) => setModel(e.target.value)} />
          </Field>
          <DialogFooter>
            <Button type="submit" disabled={save.isPending}>
              {save.isPending ? "Saving…" : "Save"}
            </Button>
          </DialogFooter>
        </form>
      </DialogContent>
    </Dialog>
  );
}
