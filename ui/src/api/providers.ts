/** AI providers of the organization (keys stay in the vault: only whether one is set comes back) and routing. */
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";

import { http, type Schemas } from "@/api/http";
import { orgKeys } from "@/api/org";

export type ProviderSettings = Schemas["ProviderSettingsOut"];
export type ProviderSettingsIn = Schemas["ProviderSettingsIn"];
export type ProviderCheck = Schemas["ProviderCheckOut"];
export type ProviderName = ProviderSettingsIn["provider"];
export type AiRouting = Schemas["AiRoutingSettings"];

/** What people pick from; "OpenAI-compatible" is the openai provider pointed at another server. */
export interface ProviderKind {
  id: "openai" | "compatible" | "anthropic" | "google" | "ollama";
  provider: ProviderName;
  label: string;
  needsKey: boolean;
  baseUrl: "hidden" | "optional" | "required";
  placeholderModel: string;
  defaultBaseUrl?: string;
}

export const PROVIDER_KINDS: ProviderKind[] = [
  { id: "openai", provider: "openai", label: "OpenAI", needsKey: true, baseUrl: "hidden", placeholderModel: "gpt-4o-mini" },
  { id: "anthropic", provider: "anthropic", label: "Anthropic", needsKey: true, baseUrl: "optional", placeholderModel: "claude-haiku-4-5" },
  { id: "google", provider: "google", label: "Google Gemini", needsKey: true, baseUrl: "optional", placeholderModel: "gemini-2.5-flash" },
  { id: "ollama", provider: "ollama", label: "Ollama", needsKey: false, baseUrl: "optional", placeholderModel: "llama3.1", defaultBaseUrl: "http://127.0.0.1:11434" },
  { id: "compatible", provider: "openai", label: "OpenAI-compatible server", needsKey: false, baseUrl: "required", placeholderModel: "Qwen/Qwen2.5-7B-Instruct" },
];

export const PROVIDER_LABELS: Record<ProviderName, string> = {
  openai: "OpenAI",
  anthropic: "Anthropic",
  google: "Google Gemini",
  ollama: "Ollama",
};

/** How a saved provider is shown: an openai entry with its own server is an OpenAI-compatible one. */
export function kindOf(settings: ProviderSettings): ProviderKind {
  const id = settings.provider === "openai" && settings.base_url ? "compatible" : settings.provider;
  return PROVIDER_KINDS.find((kind) => kind.id === id) ?? PROVIDER_KINDS[0]!;
}

export const providerKeys = {
  all: ["org", "providers"] as const,
};

export function useProviders(enabled: boolean) {
  return useQuery({ queryKey: providerKeys.all, queryFn: () => http.get<ProviderSettings[]>("/org/providers"), enabled });
}

export function useSaveProvider() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (body: ProviderSettingsIn) => http.post<ProviderSettings>("/org/providers", body),
    onSuccess: () => client.invalidateQueries({ queryKey: providerKeys.all }),
  });
}

export function useDeleteProvider() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (provider: ProviderName) => http.delete(`/org/providers/${provider}`),
    onSuccess: () => client.invalidateQueries({ queryKey: providerKeys.all }),
  });
}

export function useTestProvider() {
  return useMutation({ mutationFn: (provider: ProviderName) => http.post<ProviderCheck>(`/org/providers/${provider}/test`) });
}

/** The org's routing choices live in its settings (`settings.ai`); saving replaces them as a whole. */
export function routingOf(settings: Record<string, unknown> | undefined): AiRouting {
  const ai = (settings?.ai ?? {}) as AiRouting;
  return { default_provider: ai.default_provider ?? null, default_model: ai.default_model ?? null, fallback_models: ai.fallback_models ?? [], routes: ai.routes ?? {} };
}

export function useSaveRouting() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (ai: AiRouting) => http.put<Schemas["OrgPublic"]>("/org", { settings: { ai } }),
    onSuccess: (org) => client.setQueryData(orgKeys.org, org),
  });
}
