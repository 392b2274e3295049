/** Settings → AI providers: keys and servers for the AI nodes, a live connection test, and routing defaults. */
import { Sparkles } from "lucide-react";

import { errorMessage } from "@/api/http";
import { useOrg } from "@/api/org";
import { kindOf, useDeleteProvider, useProviders, useTestProvider, type ProviderCheck, type ProviderSettings } from "@/api/providers";
import { useAuth } from "@/auth/AuthProvider";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { ConfirmButton } from "@/components/ui/confirm";
import { Alert, EmptyState, Spinner, toast } from "@/components/ui/feedback";
import { Table, Td, Th } from "@/components/ui/table";
import { formatDateTime } from "@/lib/utils";
import { ProviderDialog } from "@/pages/settings/ProviderDialog";
import { RoutingForm } from "@/pages/settings/RoutingForm";

function CheckResult({ check }: { check: ProviderCheck }) {
  return check.ok ? (
    <span className="text-xs text-emerald-700" role="status">
      Connected{check.model ? ` · ${check.model}` : ""}
      {check.latency_ms != null ? ` · ${Math.round(check.latency_ms)} ms` : ""}
    </span>
  ) : (
    <span className="text-xs text-red-700" role="status">
      Failed: {check.message}
    </span>
  );
}

function ProviderRow({ settings, writable, taken }: { settings: ProviderSettings; writable: boolean; taken: string[] }) {
  const test = useTestProvider();
  const remove = useDeleteProvider();
  const kind = kindOf(settings);
  return (
    <tr>
      <Td className="font-medium">{kind.label}</Td>
      <Td className="max-w-56 truncate font-mono text-xs" title={settings.base_url ?? undefined}>
        {settings.base_url ?? <span className="font-sans text-slate-500">Default</span>}
      </Td>
      <Td className="font-mono text-xs">{settings.default_model ?? "—"}</Td>
      <Td>{settings.has_api_key ? <Badge tone="green">Set</Badge> : <Badge>Not set</Badge>}</Td>
      <Td className="text-xs">{formatDateTime(settings.updated_at)}</Td>
      <Td>
        <div className="flex flex-wrap items-center gap-1">
          <Button variant="outline" size="sm" disabled={test.isPending} onClick={() => test.mutate(settings.provider)}>
            {test.isPending ? "Testing…" : "Test connection"}
          </Button>
          {writable ? (
            <>
              <ProviderDialog existing={settings} taken={taken} />
              <ConfirmButton
                variant="ghost"
                size="sm"
                className="text-red-600"
                title={`Remove ${kind.label}`}
                description="Its key is deleted. AI nodes that use it fail until a provider is set up again."
                confirmLabel="Remove"
                onConfirm={() => remove.mutate(settings.provider, { onError: (e) => toast(errorMessage(e), "error") })}
              >
                Remove
              </ConfirmButton>
            </>
          ) : null}
        </div>
        {test.data ? <CheckResult check={test.data} /> : null}
        {test.error ? <span className="text-xs text-red-700">{errorMessage(test.error)}</span> : null}
      </Td>
    </tr>
  );
}

export function ProvidersSettings() {
  const { can } = useAuth();
  const readable = can("secrets:read");
  const writable = can("secrets:write");
  const providers = useProviders(readable);
  const org = useOrg();
  if (!readable) return <Alert tone="info">Your role cannot see the organization's AI providers.</Alert>;
  const list = providers.data ?? [];
  const taken = list.map((p) => p.provider);
  return (
    <div className="space-y-6">
      <section className="space-y-3">
        <div className="flex items-center justify-between">
          <div>
            <h2 className="text-base font-semibold text-slate-900">AI providers</h2>
            <p className="text-sm text-slate-500">The models AI nodes call. Keys are kept in the vault and never shown again.</p>
          </div>
          {writable ? <ProviderDialog taken={taken} /> : null}
        </div>
        {providers.isPending ? (
          <Spinner />
        ) : providers.error ? (
          <Alert>{errorMessage(providers.error)}</Alert>
        ) : list.length === 0 ? (
          <EmptyState icon={<Sparkles />} title="No AI providers yet">
            Add OpenAI, Anthropic, Google Gemini, Ollama or any OpenAI-compatible server so AI nodes can run.
          </EmptyState>
        ) : (
          <Table aria-label="AI providers">
            <thead>
              <tr>
                <Th>Provider</Th>
                <Th>Server</Th>
                <Th>Default model</Th>
                <Th>Key</Th>
                <Th>Updated</Th>
                <Th className="w-72" />
              </tr>
            </thead>
            <tbody>
              {list.map((settings) => (
                <ProviderRow key={settings.provider} settings={settings} writable={writable} taken={taken} />
              ))}
            </tbody>
          </Table>
        )}
      </section>
      {org.data && providers.data ? (
        <RoutingForm key={JSON.stringify(org.data.settings.ai ?? null)} settings={org.data.settings} providers={providers.data} writable={can("org:update")} />
      ) : null}
    </div>
  );
}
