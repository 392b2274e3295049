import { screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { http as mock, HttpResponse } from "msw";
import { beforeEach, describe, expect, it } from "vitest";

import { IntegrationPalette, idFromAction, integrationNode, parseIntegrationDrop, type IntegrationDrop } from "@/builder/IntegrationPalette";
import { useBuilderStore } from "@/builder/store";
import { catalog } from "@/test/fixtures";
import { connection, integrationAction } from "@/test/integrations";
import { ownerMe, renderPage } from "@/test/render";
import { server } from "@/test/server";

const me = { ...ownerMe, permissions: [...ownerMe.permissions, "integrations:read" as const] };

describe("integration actions in the palette", () => {
  beforeEach(() => useBuilderStore.getState().load({ nodes: [], edges: [] }, catalog, "agent-1"));

  it("groups the actions of each connection and adds a pre-filled action.integration node", async () => {
    server.use(
      mock.get("/api/v1/integrations", () =>
        HttpResponse.json([
          connection({ actions: [integrationAction(), integrationAction({ name: "add_comment" })] }),
          connection({ id: "conn-2", name: "Pets", provider: "custom_api", status: "needs_reauth", actions: [integrationAction({ name: "listPets" })] }),
          connection({ id: "conn-3", name: "Empty", actions: [] }),
        ]),
      ),
    );
    const added: IntegrationDrop[] = [];
    renderPage(<IntegrationPalette onAdd={(drop) => added.push(drop)} />, { me });
    expect((await screen.findByTestId("palette-connection-conn-1")).textContent).toContain("Engineering GitHub");
    expect(screen.getByTestId("palette-connection-conn-2").textContent).toContain("(needs reauth)");
    // A connection without actions has nothing to offer.
    expect(screen.queryByTestId("palette-connection-conn-3")).toBeNull();

    await userEvent.click(screen.getByTestId("palette-action-conn-2-listPets"));
    expect(added).toEqual([
      { idBase: "list_pets", name: "List pets", config: { integration: "custom_api", connection_id: "conn-2", action: "listPets", params: {} } },
    ]);

    // The store makes the node from it, with an id from the action.
    const store = useBuilderStore.getState();
    const first = store.addNode("action.integration", { x: 0, y: 0 }, added[0]);
    const second = store.addNode("action.integration", { x: 0, y: 0 }, added[0]);
    expect([first, second]).toEqual(["list_pets", "list_pets_2"]);
    const created = useBuilderStore.getState().nodes.find((n) => n.id === "list_pets")!;
    expect(created.data).toMatchObject({ nodeType: "action.integration", name: "List pets", config: added[0]!.config });
  });

  it("points to the Integrations page when nothing is connected", async () => {
    server.use(mock.get("/api/v1/integrations", () => HttpResponse.json([])));
    renderPage(<IntegrationPalette onAdd={() => undefined} />, { me });
    expect((await screen.findByRole("link", { name: "Connect an integration" })).getAttribute("href")).toBe("/integrations");
  });

  it("makes ids that are valid node ids, and ignores drops that are not its own", () => {
    expect(idFromAction("createPet")).toBe("create_pet");
    expect(idFromAction("send_message")).toBe("send_message");
    expect(idFromAction("2fa.reset")).toBe("fa_reset");
    expect(idFromAction("___")).toBeUndefined();
    expect(parseIntegrationDrop("")).toBeNull();
    expect(parseIntegrationDrop('{"name": 1}')).toBeNull();
    const drop = integrationNode(connection(), "create_issue");
    expect(parseIntegrationDrop(JSON.stringify(drop))).toEqual(drop);
  });
});
