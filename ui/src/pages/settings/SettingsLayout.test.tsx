import { screen, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";

import { useAuth } from "@/auth/AuthProvider";
import { SettingsLayout } from "@/pages/settings/SettingsLayout";
import { ownerMe, renderPage } from "@/test/render";

/** Says when the signed-in member (and so their permissions) has loaded. */
function Loaded() {
  const { me } = useAuth();
  return me ? <p>signed in as {me.role}</p> : null;
}

function Page() {
  return (
    <>
      <SettingsLayout />
      <Loaded />
    </>
  );
}

describe("Settings tabs", () => {
  it("shows the audit log and exports to those who hold their permissions", async () => {
    renderPage(<Page />, { me: { ...ownerMe, permissions: [...ownerMe.permissions, "audit:read", "exports:create"] } });
    await screen.findByText("signed in as owner");
    const tabs = screen.getByRole("navigation", { name: "Settings" });
    expect(within(tabs).getByRole("link", { name: "Audit log" })).toBeTruthy();
    expect(within(tabs).getByRole("link", { name: "Exports" })).toBeTruthy();
  });

  it("hides them from everyone else", async () => {
    renderPage(<Page />, { me: { ...ownerMe, role: "editor", permissions: ["agents:read"] } });
    await screen.findByText("signed in as editor");
    const tabs = screen.getByRole("navigation", { name: "Settings" });
    expect(within(tabs).getByRole("link", { name: "Webhooks" })).toBeTruthy();
    expect(within(tabs).queryByRole("link", { name: "Audit log" })).toBeNull();
    expect(within(tabs).queryByRole("link", { name: "Exports" })).toBeNull();
  });
});
