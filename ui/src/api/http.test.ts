import { http as mock, HttpResponse } from "msw";
import { beforeEach, describe, expect, it, vi } from "vitest";

import { ApiError, http, request, session } from "@/api/http";
import { server } from "@/test/server";

const tokens = (token: string) => ({ access_token: token, expires_in: 900, token_type: "bearer", user: {}, org: {}, role: "owner" });

beforeEach(() => session.set(null));

describe("the API client", () => {
  it("sends the access token and turns error bodies into ApiError", async () => {
    session.set("t1");
    server.use(
      mock.get("/api/v1/org", ({ request }) =>
        request.headers.get("Authorization") === "Bearer t1"
          ? HttpResponse.json({ error: { code: "forbidden", message: "Your role lacks org:read" } }, { status: 403 })
          : HttpResponse.json({}, { status: 500 }),
      ),
    );
    const error = await http.get("/org").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ status: 403, code: "forbidden", message: "Your role lacks org:read" });
  });

  it("refreshes once on a 401, shared by concurrent requests, then retries with the new token", async () => {
    session.set("expired");
    let refreshes = 0;
    server.use(
      mock.post("/api/v1/auth/refresh", async () => {
        refreshes += 1;
        await new Promise((resolve) => setTimeout(resolve, 10));
        return HttpResponse.json(tokens("fresh"));
      }),
      mock.get("/api/v1/org/members", ({ request }) =>
        request.headers.get("Authorization") === "Bearer fresh"
          ? HttpResponse.json({ items: [], next_cursor: null })
          : HttpResponse.json({ error: { code: "token_expired", message: "expired" } }, { status: 401 }),
      ),
    );
    const results = await Promise.all([http.get("/org/members"), http.get("/org/members")]);
    expect(results).toEqual([{ items: [], next_cursor: null }, { items: [], next_cursor: null }]);
    expect(refreshes).toBe(1); // refresh tokens rotate: a second refresh would revoke the sign-in
    expect(session.token).toBe("fresh");
  });

  it("signs out when the refresh fails", async () => {
    session.set("expired");
    const expired = vi.fn();
    session.onExpired(expired);
    server.use(
      mock.post("/api/v1/auth/refresh", () => HttpResponse.json({ error: { code: "invalid_refresh_token" } }, { status: 401 })),
      mock.get("/api/v1/org", () => HttpResponse.json({ error: { code: "token_expired", message: "expired" } }, { status: 401 })),
    );
    await expect(http.get("/org")).rejects.toMatchObject({ status: 401 });
    expect(expired).toHaveBeenCalledOnce();
    expect(session.token).toBeNull();
  });

  it("exposes response headers (ETag) and sends query parameters without empty values", async () => {
    server.use(
      mock.get("/api/v1/agents/a1", ({ request }) => {
        expect(new URL(request.url).search).toBe("?limit=5");
        return HttpResponse.json({ id: "a1" }, { headers: { ETag: '"12"' } });
      }),
    );
    const response = await request<{ id: string }>("GET", "/agents/a1", { query: { limit: 5, q: "", cursor: null } });
    expect(response.headers.get("ETag")).toBe('"12"');
  });
});
