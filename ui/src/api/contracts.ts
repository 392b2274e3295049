/**
 * The few shapes the API's OpenAPI document does not describe. Every response body of an HTTP endpoint is
 * typed from schema.d.ts instead (`Schemas["…"]`, aliased per domain in agents.ts, executions.ts, org.ts).
 *
 * - The execution stream: `WS /api/v1/executions/{id}/stream` (docs/api.md), which OpenAPI cannot express.
 * - `waiting_for` of an execution: the API types it as a free-form object; this is what the engine writes.
 */
import type { JsonObject, JsonValue } from "@/api/definition";
import type { Schemas } from "@/api/http";

export type StreamEventType =
  | "execution.started"
  | "execution.resumed"
  | "execution.paused"
  | "execution.completed"
  | "execution.failed"
  | "execution.cancelled"
  | "execution.retrying"
  | "step.started"
  | "step.completed"
  | "step.failed"
  | "step.retrying"
  | "step.waiting"
  | "step.skipped";

/**
 * One event of the stream: the same object `GET /executions/{id}/events` lists (`EventPublic`, so a renamed or
 * dropped field fails the typecheck), with the two fields OpenAPI leaves free-form narrowed.
 */
export type StreamEvent = Omit<Schemas["EventPublic"], "type" | "data"> & {
  type: StreamEventType;
  /**
   * `execution.paused`: the WaitingFor; `execution.completed|failed|cancelled`: `{status, output, error,
   * failed_node}`; `step.completed`: `{output, handles}`; `step.failed|retrying`: `{error}`;
   * `step.waiting`: an AI step waiting for approval of a tool call.
   */
  data: JsonValue;
};

/**
 * What the server sends before closing with 4401/4403/4404 when it refuses the stream: on connect, or when a
 * periodic re-check finds the caller's access gone (a revoked key, a removed member).
 */
export interface StreamRefusal {
  type: "error";
  code: number;
  message: string;
}

export type StreamMessage = StreamEvent | StreamRefusal;

/** `waiting_for` of a paused execution (and the data of its `execution.paused` event). */
export interface WaitingFor {
  node_id: string;
  step_key: string;
  message: string;
  /** User ids or `role:<role>`; empty: editors and above. */
  approvers: string[];
  /** ISO instant; the sweeper applies `on_timeout` after it. */
  deadline: string;
  on_timeout: "approve" | "reject" | "fail";
  input_schema?: JsonObject | null;
  /** Present once someone decided, until the run resumes. */
  decision?: { approved: boolean; comment: string; by: string | null; at: string | null } | null;
}
