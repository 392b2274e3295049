import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { http as mock, HttpResponse } from "msw";
import { describe, expect, it } from "vitest";

import type { Org } from "@/api/org";
import type { ProviderSettings } from "@/api/providers";
import { ProvidersSettings } from "@/pages/settings/ProvidersSettings";
import { ownerMe, renderPage } from "@/test/render";
import { server } from "@/test/server";

const org: Org = { ...ownerMe.org, settings: { ai: { default_model: "gpt-4o-mini", routes: { "my-*": "ollama" } } } } as Org;
const compatible: ProviderSettings = {
  provider: "openai",
  base_url: "http://vllm.internal:8000/v1",
  default_model: "qwen",
  has_api_key: true,
  updated_at: "2026-01-02T00:00:00Z",
};

describe("AI providers", () => {
  it("adds a provider, tests it, keeps the key on edit and saves the fallback chain", async () => {
    const calls: string[] = [];
    let saved: ProviderSettings[] = [];
    server.use(
      mock.get("/api/v1/org/providers", () => HttpResponse.json(saved)),
      mock.get("/api/v1/org", () => HttpResponse.json(org)),
      mock.post("/api/v1/org/providers", async ({ request }) => {
        const body = (await request.json()) as Record<string, unknown>;
        calls.push(`save ${JSON.stringify(body)}`);
        saved = [{ ...compatible, default_model: String(body.default_model) }];
        return HttpResponse.json(saved[0]);
      }),
      mock.post("/api/v1/org/providers/openai/test", () =>
        HttpResponse.json({ ok: false, provider: "openai", model: "qwen", message: "Incorrect API key provided", latency_ms: 12 }),
      ),
      mock.put("/api/v1/org", async ({ request }) => {
        calls.push(`org ${JSON.stringify(await request.json())}`);
        return HttpResponse.json(org);
      }),
    );
    renderPage(<ProvidersSettings />);
    await screen.findByText("No AI providers yet");

    await userEvent.click(screen.getByRole("button", { name: "Add provider" }));
    let dialog = within(screen.getByRole("dialog"));
    await userEvent.selectOptions(dialog.getByLabelText("Provider"), "OpenAI-compatible server");
    await userEvent.type(dialog.getByLabelText("API key"), "sk-secret");
    await userEvent.type(dialog.getByLabelText("Server address"), "http://vllm.internal:8000/v1");
    await userEvent.type(dialog.getByLabelText("Default model"), "qwen");
    await userEvent.click(dialog.getByRole("button", { name: "Save" }));
    await waitFor(() =>
      expect(calls).toContain(`save ${JSON.stringify({ provider: "openai", api_key: "sk-secret", base_url: "http://vllm.internal:8000/v1", default_model: "qwen" })}`),
    );
    const table = await screen.findByRole("table", { name: "AI providers" });
    expect(within(table).getByText("OpenAI-compatible server")).toBeTruthy();
    expect(within(table).getByText("Set")).toBeTruthy();
    expect(document.body.textContent).not.toContain("sk-secret");

    // The live check shows the provider's own message.
    await userEvent.click(within(table).getByRole("button", { name: "Test connection" }));
    expect(await within(table).findByText("Failed: Incorrect API key provided")).toBeTruthy();

    // An edit without a new key sends none, so the stored key stays.
    await userEvent.click(within(table).getByRole("button", { name: "Edit" }));
    dialog = within(screen.getByRole("dialog"));
    expect(dialog.getByText("A key is set. Leave empty to keep it.")).toBeTruthy();
    const model = dialog.getByLabelText("Default model");
    await userEvent.clear(model);
    await userEvent.type(model, "qwen-2");
    await userEvent.click(dialog.getByRole("button", { name: "Save" }));
    await waitFor(() => expect(calls.at(-1)).toBe(`save ${JSON.stringify({ provider: "openai", api_key: null, base_url: "http://vllm.internal:8000/v1", default_model: "qwen-2" })}`));

    // The fallback chain is saved with the routing the organization already had.
    await userEvent.click(await screen.findByRole("button", { name: "Add fallback model" }));
    await userEvent.type(screen.getByLabelText("Fallback model 1"), "claude-haiku-4-5");
    await userEvent.click(screen.getByRole("button", { name: "Save defaults" }));
    await waitFor(() =>
      expect(calls.at(-1)).toBe(
        `org ${JSON.stringify({ settings: { ai: { default_provider: null, default_model: "gpt-4o-mini", fallback_models: ["claude-haiku-4-5"], routes: { "my-*": "ollama" } } } })}`,
      ),
    );
  }, 30_000);
});
