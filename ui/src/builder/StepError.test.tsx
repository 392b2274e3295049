import { screen } from "@testing-library/react";
import { describe, expect, it } from "vitest";

import { StepDetail } from "@/builder/TestRunPanel";
import { step } from "@/test/executions";
import { renderPage } from "@/test/render";

describe("a failed step's message", () => {
  it("links an AI step without a provider to the AI providers settings", async () => {
    const failed = step("reply", {
      node_type: "ai",
      status: "failed",
      error: "openai (not_configured): the organization has no openai settings",
      output: { error: "the organization has no openai settings", code: "not_configured", provider_attempts: [] },
    });
    renderPage(<StepDetail step={failed} />);
    const link = await screen.findByRole("link", { name: "Set up an AI provider in Settings → AI providers" });
    expect(link.getAttribute("href")).toBe("/settings/providers");
  });

  it("shows other failures as they are", async () => {
    renderPage(<StepDetail step={step("reply", { node_type: "ai", status: "failed", error: "openai 429 (rate_limit): slow down", output: { code: "rate_limit" } })} />);
    expect(await screen.findByText("openai 429 (rate_limit): slow down")).toBeTruthy();
    expect(screen.queryByRole("link")).toBeNull();
  });
});
