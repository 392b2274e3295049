import { fireEvent, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { http as mock, HttpResponse } from "msw";
import { describe, expect, it } from "vitest";

import { IntegrationsPage } from "@/pages/integrations/IntegrationsPage";
import { previewOpenApi } from "@/pages/integrations/openapi";
import { catalogEntry, connection, integrationAction } from "@/test/integrations";
import { ownerMe, renderPage } from "@/test/render";
import { server } from "@/test/server";

const admin = { ...ownerMe, permissions: [...ownerMe.permissions, "integrations:read" as const, "integrations:connect" as const] };
const viewer = { ...ownerMe, role: "viewer" as const, permissions: ["integrations:read" as const] };

const customApi = catalogEntry({
  name: "custom_api",
  label: "Custom API",
  description: "Any HTTP API.",
  category: "developer",
  auth_kinds: ["none", "token", "basic", "api_key"],
  scopes: [],
  credential_fields: [],
  actions: [],
});
const slack = catalogEntry({ name: "slack", label: "Slack", category: "communication", oauth_configured: false, auth_kinds: ["oauth2"] });
const webhook = catalogEntry({ name: "webhook", label: "Webhooks", category: "developer", kind: "builtin", auth_kinds: [], actions: [] });

const OPENAPI = {
  openapi: "3.0.3",
  info: { title: "Pets" },
  servers: [{ url: "https://pets.example.com/v1" }],
  paths: {
    "/pets": { get: { operationId: "listPets", summary: "List pets" }, post: { operationId: "create-pet" } },
    "/pets/{id}": { delete: {} },
    "/pets/{id}/photo": { put: { operationId: "upload", requestBody: { content: { "image/png": {} } } } },
  },
};

function handlers(connections = [connection()]) {
  server.use(
    mock.get("/api/v1/integrations/catalog", () => HttpResponse.json([catalogEntry(), slack, customApi, webhook])),
    mock.get("/api/v1/integrations", () => HttpResponse.json(connections)),
  );
}

describe("the Integrations page", () => {
  it("groups the catalog by category and lists connections with status, account, scopes; tests and disconnects", async () => {
    handlers([connection(), connection({ id: "conn-2", name: "Old Slack", provider: "slack", status: "needs_reauth", auth_kind: "oauth2", last_error: "token revoked" })]);
    let deleted = "";
    server.use(
      mock.post("/api/v1/integrations/conn-1/test", () => HttpResponse.json({ ok: false, error: "GitHub answered 401: Bad credentials", connection: connection({ status: "error" }) })),
      mock.delete("/api/v1/integrations/:id", ({ params }) => {
        deleted = String(params.id);
        return new HttpResponse(null, { status: 204 });
      }),
    );
    renderPage(<IntegrationsPage />, { me: admin });
    const engineering = await screen.findByRole("list", { name: "Engineering" });
    expect(within(engineering).getByText("GitHub")).toBeTruthy();
    expect(within(screen.getByRole("list", { name: "Developer" })).getByText("built in")).toBeTruthy();

    const connected = screen.getByRole("list", { name: "Connected integrations" });
    const github = within(connected).getByText("Engineering GitHub").closest("li")!;
    expect(github.textContent).toContain("octo-org");
    expect(github.textContent).toContain("repo");
    // A connection whose sign-in lapsed: a notice, its error and a Reconnect button.
    expect(screen.getByText(/Old Slack needs to be reconnected/)).toBeTruthy();
    expect(within(connected).getByText("token revoked")).toBeTruthy();

    await userEvent.click(within(github).getByRole("button", { name: "Test" }));
    expect(await within(github).findByText("GitHub answered 401: Bad credentials")).toBeTruthy();

    await userEvent.click(within(github).getByRole("button", { name: "Disconnect Engineering GitHub" }));
    await userEvent.click(within(screen.getByRole("alertdialog")).getByRole("button", { name: "Disconnect" }));
    await waitFor(() => expect(deleted).toBe("conn-1"));

    // Reconnect goes through OAuth; an unconfigured OAuth app is said plainly and blocks the button.
    await userEvent.click(within(connected).getByRole("button", { name: "Reconnect" }));
    const dialog = screen.getByRole("dialog");
    expect(within(dialog).getByText(/an operator must configure its OAuth app/)).toBeTruthy();
    expect((within(dialog).getByRole("button", { name: "Continue to Slack" }) as HTMLButtonElement).disabled).toBe(true);
  });

  it("connects a token integration with its credential fields", async () => {
    handlers([]);
    let body: unknown = null;
    server.use(
      mock.post("/api/v1/integrations/github/connect", async ({ request }) => {
        body = await request.json();
        return HttpResponse.json(connection(), { status: 201 });
      }),
    );
    renderPage(<IntegrationsPage />, { me: admin });
    expect(await screen.findByText("Nothing connected yet")).toBeTruthy();
    await userEvent.click(screen.getByRole("button", { name: "Connect GitHub" }));
    await userEvent.selectOptions(screen.getByLabelText("Authentication"), "token");
    fireEvent.change(screen.getByLabelText(/Personal access token/), { target: { value: "ghp_x" } });
    await userEvent.click(screen.getByRole("button", { name: "Connect" }));
    await waitFor(() => expect(body).toEqual({ name: "GitHub", auth: "token", credentials: { token: "ghp_x" }, config: {} }));
  });

  it("connects a custom API from an OpenAPI document after previewing its actions", async () => {
    handlers([]);
    let body: unknown = null;
    server.use(
      mock.get("/api/v1/org/secrets", () => HttpResponse.json({ items: [{ name: "PETS_TOKEN", description: "", created_at: "2026-01-01T00:00:00Z", updated_at: "2026-01-01T00:00:00Z" }], next_cursor: null })),
      mock.post("/api/v1/integrations/custom_api/connect", async ({ request }) => {
        body = await request.json();
        return HttpResponse.json(connection({ provider: "custom_api", name: "Pets", actions: [integrationAction({ name: "listPets" })] }), { status: 201 });
      }),
    );
    renderPage(<IntegrationsPage />, { me: admin });
    await userEvent.click(await screen.findByRole("button", { name: "Connect Custom API" }));
    fireEvent.change(screen.getByLabelText("Name", { selector: "#custom-name" }), { target: { value: "Pets" } });
    await userEvent.selectOptions(screen.getByLabelText("Type"), "bearer");
    await waitFor(() => expect(screen.getByRole("option", { name: "PETS_TOKEN" })).toBeTruthy());
    await userEvent.selectOptions(screen.getByLabelText(/Token \(org secret\)/), "PETS_TOKEN");
    await userEvent.click(screen.getByRole("button", { name: "Add header" }));
    fireEvent.change(screen.getByLabelText("Header 1"), { target: { value: "X-Team" } });
    fireEvent.change(screen.getByLabelText("Header value 1"), { target: { value: "ops" } });
    await userEvent.click(screen.getByRole("radio", { name: "Import OpenAPI" }));

    fireEvent.change(screen.getByLabelText("OpenAPI 3 document (JSON)"), { target: { value: "{ not json" } });
    expect(screen.getByText(/Not valid JSON/)).toBeTruthy();
    expect((screen.getByRole("button", { name: "Connect" }) as HTMLButtonElement).disabled).toBe(true);

    fireEvent.change(screen.getByLabelText("OpenAPI 3 document (JSON)"), { target: { value: JSON.stringify(OPENAPI) } });
    const preview = screen.getByRole("table", { name: "Actions to import" });
    expect(within(preview).getAllByRole("row").map((row) => row.textContent)).toEqual([
      "ActionRequestDescription",
      "listPetsGET /petsList pets",
      "create_petPOST /pets—",
      "delete_pets_idDELETE /pets/{id}—",
      "uploadPUT /pets/{id}/photonot imported: body is image/png, not JSON",
    ]);
    expect(screen.getByText(/3 actions on https:\/\/pets.example.com\/v1/)).toBeTruthy();
    await userEvent.click(screen.getByRole("button", { name: "Connect" }));
    await waitFor(() =>
      expect(body).toEqual({ name: "Pets", config: { auth: { type: "bearer", secret: "PETS_TOKEN" }, headers: { "X-Team": "ops" }, openapi: OPENAPI } }),
    );
    await waitFor(() => expect(screen.queryByRole("dialog")).toBeNull());
  });

  it("lets viewers see connections without Connect or Disconnect", async () => {
    handlers();
    renderPage(<IntegrationsPage />, { me: viewer });
    expect(await screen.findByText("Engineering GitHub")).toBeTruthy();
    await screen.findByRole("list", { name: "Engineering" });
    expect(screen.queryByRole("button", { name: /^Connect / })).toBeNull();
    expect(screen.queryByRole("button", { name: /^Disconnect/ })).toBeNull();
    expect(screen.getByRole("button", { name: "Test" })).toBeTruthy();
  });

  it("previews imports the way the API names actions, and refuses what is not OpenAPI 3", () => {
    expect(previewOpenApi(JSON.stringify({ swagger: "2.0", paths: {} }))).toEqual({ ok: false, error: "Not an OpenAPI 3 document (its `openapi` field must be 3.x)." });
    expect(previewOpenApi(JSON.stringify({ openapi: "3.1.0", paths: {} }))).toEqual({ ok: false, error: "The document has no operations." });
    const preview = previewOpenApi(JSON.stringify({ openapi: "3.1.0", servers: [{ url: "/relative" }], paths: { "/a/{b}": { patch: { operationId: "a.b c" } } } }));
    expect(preview.ok && preview.actions).toEqual([{ name: "a_b_c", method: "PATCH", path: "/a/{b}", description: "", sideEffect: true, skipped: null }]);
    expect(preview.ok && preview.serverUrl).toBeNull();
  });
});
