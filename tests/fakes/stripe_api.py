"""A stateful loopback Stripe for the official SDK: the endpoints billing uses, in Stripe's wire format.

It speaks what the real API does and refuses what it would: form-encoded bodies (`a[b][0][c]=…`), a Bearer
secret key (401 otherwise), a `Stripe-Version` of the modern API (periods on subscription items), unknown or
missing parameters (400 `invalid_request_error` naming the param), unknown objects (404 `resource_missing`),
`Idempotency-Key` replays (same key and body → the first answer; another body → 400 `idempotency_error`), and
meter events whose identifier was already seen. Tests drive what happens on Stripe's side (a customer paying
in Checkout, a failed renewal, a cancellation) with its methods, which return the events Stripe would send;
`sign` signs a webhook body the way Stripe does. (localstripe has no Checkout, Customer Portal or Billing
Meters, hence this fake.)
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from typing import Any
from urllib.parse import parse_qsl

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from tests.fakes.stripe_wire import SPECS, WEBHOOK_SECRET, StripeError, check, decode_form, sign

__all__ = ["API_KEY", "WEBHOOK_SECRET", "FakeStripe", "sign"]

API_KEY = "sk_test_agentflow_fake"
PRICE_STARTER, PRICE_PRO, PRICE_EXECUTIONS = "price_starter", "price_pro", "price_executions"
METER_EVENT_NAME = "agentflow_executions"
MODERN_API = "2025-03-31"  # subscriptions keep their periods on their items since this version
MONTH = 30 * 86400


class FakeStripe:
    def __init__(self) -> None:
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self.prices = {
            PRICE_STARTER: {"id": PRICE_STARTER, "object": "price", "recurring": {"usage_type": "licensed"}},
            PRICE_PRO: {"id": PRICE_PRO, "object": "price", "recurring": {"usage_type": "licensed"}},
            PRICE_EXECUTIONS: {
                "id": PRICE_EXECUTIONS,
                "object": "price",
                "recurring": {"usage_type": "metered"},
            },
        }
        self.reset()
        routes = [
            Route("/v1/customers", self._customers, methods=["POST"]),
            Route("/v1/checkout/sessions", self._checkout, methods=["POST"]),
            Route("/v1/checkout/sessions/{id}", self._checkout_get, methods=["GET"]),
            Route("/v1/billing_portal/sessions", self._portal, methods=["POST"]),
            Route("/v1/invoices", self._invoices, methods=["GET"]),
            Route("/v1/subscriptions", self._subscriptions, methods=["GET"]),
            Route("/v1/subscriptions/{id}", self._subscription, methods=["GET", "POST"]),
            Route("/v1/billing/meter_events", self._meter_event, methods=["POST"]),
        ]
        self.app = Starlette(routes=routes)

    def reset(self) -> None:
        self.customers: dict[str, dict[str, Any]] = {}
        self.sessions: dict[str, dict[str, Any]] = {}
        self.subscriptions: dict[str, dict[str, Any]] = {}
        self.invoices: dict[str, dict[str, Any]] = {}
        self.meter_events: dict[str, dict[str, Any]] = {}  # by identifier: what the meter counts
        self.requests: list[tuple[str, str, dict[str, Any]]] = []
        self._idempotent: dict[str, tuple[str, int, Any]] = {}
        self.failures: list[tuple[str, int]] = []  # (path prefix, status) answered once each, in order

    def new_id(self, prefix: str) -> str:
        return f"{prefix}_fake{next(self._ids):06d}"

    # --- the HTTP side -------------------------------------------------------------------------------

    async def _serve(self, request: Request, route: str, handler: Any) -> JSONResponse:
        try:
            auth = request.headers.get("authorization", "")
            if auth != f"Bearer {API_KEY}":
                raise StripeError(401, "invalid_request_error", "Invalid API Key provided")
            version = request.headers.get("stripe-version", "")
            if version[:10] < MODERN_API:
                raise StripeError(
                    400, "invalid_request_error", f"This fake speaks API versions >= {MODERN_API}"
                )
            raw = (await request.body()).decode() if request.method == "POST" else str(request.url.query)
            if (
                request.method == "POST"
                and raw
                and "x-www-form-urlencoded" not in request.headers.get("content-type", "")
            ):
                raise StripeError(400, "invalid_request_error", "Bodies are form-encoded")
            spec, required = SPECS[(request.method, route)]
            params = check(decode_form(parse_qsl(raw, keep_blank_values=True)), spec)
            for name in sorted(required - params.keys()):
                raise StripeError(400, "invalid_request_error", f"Missing required param: {name}.", name)
            with self._lock:
                self.requests.append((request.method, request.url.path, params))
                for i, (prefix, status) in enumerate(self.failures):
                    if request.url.path.startswith(prefix):
                        del self.failures[i]
                        raise StripeError(status, "api_error", "Something went wrong on Stripe's end")
                key = request.headers.get("idempotency-key") if request.method == "POST" else None
                if key and key in self._idempotent:
                    seen, status, body = self._idempotent[key]
                    if seen != raw:
                        raise StripeError(
                            400,
                            "idempotency_error",
                            "Keys for idempotent requests can only be used with the same parameters",
                        )
                    return JSONResponse(body, status, headers={"Idempotent-Replayed": "true"})
                try:
                    status, body = 200, handler(request.path_params, params)
                except StripeError as exc:
                    status, body = exc.status, exc.body
                if key and status < 500:
                    self._idempotent[key] = (raw, status, body)
                return JSONResponse(body, status)
        except StripeError as exc:
            return JSONResponse(exc.body, exc.status)

    async def _customers(self, request: Request) -> JSONResponse:
        return await self._serve(request, "/v1/customers", self.create_customer)

    async def _checkout(self, request: Request) -> JSONResponse:
        return await self._serve(request, "/v1/checkout/sessions", self.create_session)

    async def _checkout_get(self, request: Request) -> JSONResponse:
        return await self._serve(
            request, "/v1/checkout/sessions/{id}", lambda p, _: self._get(self.sessions, p["id"])
        )

    async def _portal(self, request: Request) -> JSONResponse:
        return await self._serve(request, "/v1/billing_portal/sessions", self.create_portal)

    async def _invoices(self, request: Request) -> JSONResponse:
        return await self._serve(request, "/v1/invoices", lambda _, q: self._list(self.invoices, q))

    async def _subscriptions(self, request: Request) -> JSONResponse:
        return await self._serve(request, "/v1/subscriptions", lambda _, q: self._list(self.subscriptions, q))

    async def _subscription(self, request: Request) -> JSONResponse:
        if request.method == "GET":
            return await self._serve(
                request, "/v1/subscriptions/{id}", lambda p, _: self._get(self.subscriptions, p["id"])
            )
        return await self._serve(request, "/v1/subscriptions/{id}", self.update_subscription)

    async def _meter_event(self, request: Request) -> JSONResponse:
        return await self._serve(request, "/v1/billing/meter_events", self.create_meter_event)

    # --- the objects ---------------------------------------------------------------------------------

    def _get(self, table: dict[str, dict[str, Any]], id_: str) -> dict[str, Any]:
        if id_ not in table:
            raise StripeError(
                404, "invalid_request_error", f"No such object: '{id_}'", "id", "resource_missing"
            )
        return table[id_]

    def _customer(self, id_: str, param: str = "customer") -> dict[str, Any]:
        if id_ not in self.customers:
            raise StripeError(
                400, "invalid_request_error", f"No such customer: '{id_}'", param, "resource_missing"
            )
        return self.customers[id_]

    def _list(self, table: dict[str, dict[str, Any]], query: dict[str, Any]) -> dict[str, Any]:
        rows = [
            r
            for r in table.values()
            if all(r.get(k) == v for k, v in query.items() if k in ("customer", "subscription"))
        ]
        if query.get("status") not in (None, "all"):
            rows = [r for r in rows if r["status"] == query["status"]]
        elif "status" not in query and table is self.subscriptions:
            rows = [r for r in rows if r["status"] != "canceled"]  # Stripe's default hides canceled ones
        rows.sort(key=lambda r: r["created"], reverse=True)
        limit = query.get("limit", 10)
        if not 1 <= limit <= 100:
            raise StripeError(400, "invalid_request_error", "limit must be between 1 and 100", "limit")
        return {"object": "list", "url": "/v1/list", "has_more": len(rows) > limit, "data": rows[:limit]}

    def create_customer(self, _: dict[str, str], params: dict[str, Any]) -> dict[str, Any]:
        customer = {
            "id": self.new_id("cus"),
            "object": "customer",
            "created": int(time.time()),
            "metadata": {},
            **params,
        }
        self.customers[customer["id"]] = customer
        return customer

    def create_session(self, _: dict[str, str], params: dict[str, Any]) -> dict[str, Any]:
        if params["mode"] != "subscription":
            raise StripeError(400, "invalid_request_error", "Only subscription mode is faked", "mode")
        if "customer" in params:
            self._customer(params["customer"])
        for i, item in enumerate(params["line_items"]):
            price = self.prices.get(item.get("price", ""))
            if price is None:
                raise StripeError(
                    400,
                    "invalid_request_error",
                    "No such price",
                    f"line_items[{i}][price]",
                    "resource_missing",
                )
            metered = price["recurring"]["usage_type"] == "metered"
            if metered == ("quantity" in item):
                message = "Quantity must not be set for metered prices" if metered else "Quantity is required"
                raise StripeError(400, "invalid_request_error", message, f"line_items[{i}][quantity]")
        id_ = self.new_id("cs")
        session = {
            "id": id_,
            "object": "checkout.session",
            "mode": "subscription",
            "status": "open",
            "url": f"https://checkout.stripe.test/c/pay/{id_}",
            "customer": params.get("customer"),
            "subscription": None,
            "client_reference_id": params.get("client_reference_id"),
            "metadata": params.get("metadata", {}),
            "success_url": params["success_url"],
            "created": int(time.time()),
            "_line_items": params["line_items"],
            "_subscription_metadata": params.get("subscription_data", {}).get("metadata", {}),
        }
        self.sessions[id_] = session
        return {k: v for k, v in session.items() if not k.startswith("_")}

    def create_portal(self, _: dict[str, str], params: dict[str, Any]) -> dict[str, Any]:
        self._customer(params["customer"])
        id_ = self.new_id("bps")
        return {
            "id": id_,
            "object": "billing_portal.session",
            "customer": params["customer"],
            "return_url": params.get("return_url"),
            "url": f"https://billing.stripe.test/p/session/{id_}",
        }

    def update_subscription(self, path: dict[str, str], params: dict[str, Any]) -> dict[str, Any]:
        sub = self._get(self.subscriptions, path["id"])
        if sub["status"] == "canceled":
            raise StripeError(
                400, "invalid_request_error", "A canceled subscription can only update its metadata"
            )
        if params.get("proration_behavior", "create_prorations") not in (
            "create_prorations",
            "none",
            "always_invoice",
        ):
            raise StripeError(
                400, "invalid_request_error", "Invalid proration_behavior", "proration_behavior"
            )
        for i, change in enumerate(params.get("items", [])):
            item = next((it for it in sub["items"]["data"] if it["id"] == change.get("id")), None)
            if item is None:
                raise StripeError(
                    400, "invalid_request_error", "No such subscription item", f"items[{i}][id]"
                )
            if "price" in change:
                if change["price"] not in self.prices:
                    raise StripeError(400, "invalid_request_error", "No such price", f"items[{i}][price]")
                item["price"] = self.prices[change["price"]]
        if "cancel_at_period_end" in params:
            sub["cancel_at_period_end"] = params["cancel_at_period_end"]
        self.last_proration = params.get("proration_behavior", "create_prorations")
        return sub

    def create_meter_event(self, _: dict[str, str], params: dict[str, Any]) -> dict[str, Any]:
        if params["event_name"] != METER_EVENT_NAME:
            raise StripeError(
                400, "invalid_request_error", "No active meter for this event name", "event_name"
            )
        payload = params["payload"]
        self._customer(payload.get("stripe_customer_id", ""), "payload[stripe_customer_id]")
        if not payload.get("value", "").isdigit():
            raise StripeError(
                400, "invalid_request_error", "The value must be a whole number", "payload[value]"
            )
        now = int(time.time())
        timestamp = params.get("timestamp", now)
        if not now - 35 * 86400 <= timestamp <= now + 300:
            raise StripeError(
                400, "invalid_request_error", "Timestamp outside the accepted window", "timestamp"
            )
        identifier = params.get("identifier") or self.new_id("mev")
        if identifier in self.meter_events:
            raise StripeError(
                400,
                "invalid_request_error",
                "An event with this identifier already exists",
                "identifier",
                "resource_already_exists",
            )
        event = {
            "object": "billing.meter_event",
            "event_name": params["event_name"],
            "identifier": identifier,
            "payload": payload,
            "timestamp": timestamp,
            "created": now,
            "livemode": False,
        }
        self.meter_events[identifier] = event
        return event

    # --- what happens on Stripe's side: each returns the events Stripe would send ----------------------

    def event(self, type_: str, obj: dict[str, Any], *, created: int | None = None) -> dict[str, Any]:
        public = {k: v for k, v in obj.items() if not k.startswith("_")}
        return {
            "id": self.new_id("evt"),
            "object": "event",
            "api_version": "2026-10-28.endive",
            "created": created or int(time.time()),
            "type": type_,
            "livemode": False,
            "pending_webhooks": 1,
            "request": {"id": None, "idempotency_key": None},
            "data": {"object": json.loads(json.dumps(public))},
        }

    def complete_checkout(self, session_id: str) -> list[dict[str, Any]]:
        """The customer pays: the session completes, a subscription starts, its first invoice is paid."""
        session = self.sessions[session_id]
        if session["customer"] is None:
            session["customer"] = self.create_customer({}, {})["id"]
        now = int(time.time())
        sub_id = self.new_id("sub")
        items = [
            {
                "id": self.new_id("si"),
                "object": "subscription_item",
                "price": self.prices[li["price"]],
                "quantity": li.get("quantity"),
                "current_period_start": now,
                "current_period_end": now + MONTH,
            }
            for li in session["_line_items"]
        ]
        sub = {
            "id": sub_id,
            "object": "subscription",
            "customer": session["customer"],
            "status": "active",
            "cancel_at_period_end": False,
            "created": now,
            "metadata": session["_subscription_metadata"],
            "items": {"object": "list", "data": items, "has_more": False},
        }
        self.subscriptions[sub_id] = sub
        session.update(status="complete", subscription=sub_id)
        invoice = self._invoice(sub, paid=True)
        return [
            self.event("checkout.session.completed", session),
            self.event("customer.subscription.created", sub),
            self.event("invoice.paid", invoice),
        ]

    def _invoice(self, sub: dict[str, Any], *, paid: bool) -> dict[str, Any]:
        item = sub["items"]["data"][0]
        amount = 2900 if item["price"]["id"] == PRICE_STARTER else 9900
        id_ = self.new_id("in")
        invoice = {
            "id": id_,
            "object": "invoice",
            "customer": sub["customer"],
            "number": f"FAKE-{len(self.invoices) + 1:04d}",
            "status": "paid" if paid else "open",
            "amount_due": amount,
            "amount_paid": amount if paid else 0,
            "currency": "usd",
            "created": int(time.time()) + len(self.invoices),
            "period_start": item["current_period_start"],
            "period_end": item["current_period_end"],
            "hosted_invoice_url": f"https://invoice.stripe.test/i/{id_}",
            "invoice_pdf": f"https://pay.stripe.test/invoice/{id_}/pdf",
            "parent": {"type": "subscription_details", "subscription_details": {"subscription": sub["id"]}},
        }
        self.invoices[id_] = invoice
        return invoice

    def fail_renewal(self, sub_id: str) -> list[dict[str, Any]]:
        """The next period's payment fails: the subscription goes past_due."""
        sub = self.subscriptions[sub_id]
        for item in sub["items"]["data"]:
            item["current_period_start"] = item["current_period_end"]
            item["current_period_end"] += MONTH
        sub["status"] = "past_due"
        return [
            self.event("invoice.payment_failed", self._invoice(sub, paid=False)),
            self.event("customer.subscription.updated", sub),
        ]

    def cancel(self, sub_id: str) -> list[dict[str, Any]]:
        sub = self.subscriptions[sub_id]
        sub["status"] = "canceled"
        return [self.event("customer.subscription.deleted", sub)]
