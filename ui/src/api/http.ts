/**
 * The one way the UI talks to the API: a small fetch wrapper that adds the in-memory access token,
 * refreshes it once on a 401 through the httpOnly refresh cookie, and turns error bodies into ApiError.
 */
import type { components } from "@/api/schema";

export type Schemas = components["schemas"];

export const API_BASE = "/api/v1";

/** `{"error": {"code", "message", "details"}}`, the API's one error shape. */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly details: unknown;
  readonly body: unknown;

  constructor(status: number, code: string, message: string, details?: unknown, body?: unknown) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.code = code;
    this.details = details;
    this.body = body;
  }
}

type TokenListener = (token: string | null) => void;

/** A request refused because the org's plan allows no more (HTTP 402, or 429 from a webhook). */
export const PLAN_LIMIT_CODE = "plan_limit_reached";
type PlanLimitListener = (error: ApiError) => void;
const planLimitListeners = new Set<PlanLimitListener>();

/**
 * Every plan-limit refusal passes through here, whichever page made the request, so the app shows one
 * notice with a way to the billing page (src/components/PlanLimitNotice.tsx) and no page has to.
 */
export const planLimits = {
  subscribe(listener: PlanLimitListener): () => void {
    planLimitListeners.add(listener);
    return () => planLimitListeners.delete(listener);
  },
};

function failed(error: ApiError): ApiError {
  if (error.code === PLAN_LIMIT_CODE) planLimitListeners.forEach((listener) => listener(error));
  return error;
}

let accessToken: string | null = null;
// Not a credential: only remembers that a refresh cookie was issued, so a first visit does not probe
// /auth/refresh (and log a 401) when there is no sign-in to restore.
const SIGNED_IN_MARKER = "agentflow.signed-in";
let refreshing: Promise<Schemas["TokenResponse"] | null> | null = null;
const listeners = new Set<TokenListener>();
let onSessionExpired: () => void = () => {};

export const session = {
  get token(): string | null {
    return accessToken;
  },
  set(token: string | null): void {
    accessToken = token;
    try {
      if (token) localStorage.setItem(SIGNED_IN_MARKER, "1");
      else localStorage.removeItem(SIGNED_IN_MARKER);
    } catch {
      // Storage disabled: every visit then tries to restore the session, which is still correct.
    }
    listeners.forEach((listener) => listener(token));
  },
  /** Whether a sign-in may be restored from the refresh cookie. */
  mayRestore(): boolean {
    try {
      return localStorage.getItem(SIGNED_IN_MARKER) === "1";
    } catch {
      return true;
    }
  },
  subscribe(listener: TokenListener): () => void {
    listeners.add(listener);
    return () => listeners.delete(listener);
  },
  /** Called once when a refresh fails after a 401: the app signs out and shows the login page. */
  onExpired(handler: () => void): void {
    onSessionExpired = handler;
  },
};

/**
 * Trade the refresh cookie for a new access token. Single-flight: refresh tokens rotate, and presenting one
 * twice revokes the whole sign-in, so concurrent callers share one request.
 */
export function refreshSession(): Promise<Schemas["TokenResponse"] | null> {
  refreshing ??= fetch(`${API_BASE}/auth/refresh`, { method: "POST", credentials: "same-origin" })
    .then(async (response) => {
      if (!response.ok) return null;
      const body = (await response.json()) as Schemas["TokenResponse"];
      session.set(body.access_token);
      return body;
    })
    .catch(() => null)
    .finally(() => {
      refreshing = null;
    });
  return refreshing;
}

export interface RequestOptions {
  query?: Record<string, string | number | boolean | null | undefined>;
  body?: unknown;
  headers?: Record<string, string>;
  signal?: AbortSignal;
}

export interface ApiResponse<T> {
  data: T;
  headers: Headers;
  status: number;
}

const NO_REFRESH = ["/auth/login", "/auth/signup", "/auth/refresh", "/auth/logout"];

function buildUrl(path: string, query: RequestOptions["query"]): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query ?? {})) {
    if (value !== undefined && value !== null && value !== "") params.set(key, String(value));
  }
  const qs = params.toString();
  return `${API_BASE}${path}${qs ? `?${qs}` : ""}`;
}

async function send(method: string, url: string, options: RequestOptions): Promise<Response> {
  const headers: Record<string, string> = { Accept: "application/json", ...options.headers };
  if (accessToken) headers.Authorization = `Bearer ${accessToken}`;
  let body: string | undefined;
  if (options.body !== undefined) {
    headers["Content-Type"] = "application/json";
    body = JSON.stringify(options.body);
  }
  return fetch(url, { method, headers, body, credentials: "same-origin", signal: options.signal });
}

async function errorFrom(response: Response): Promise<ApiError> {
  let body: unknown = null;
  try {
    body = await response.json();
  } catch {
    // Not JSON (a proxy's HTML page, an empty body): fall back to the status text.
  }
  const error = (body as { error?: { code?: string; message?: string; details?: unknown } } | null)?.error;
  return new ApiError(
    response.status,
    error?.code ?? "http_error",
    error?.message ?? `${response.status} ${response.statusText}`.trim(),
    error?.details,
    body,
  );
}

/** Send with the access token, refreshing it once on a 401; a failed answer is thrown as ApiError. */
async function authorized(method: string, path: string, options: RequestOptions): Promise<Response> {
  const url = buildUrl(path, options.query);
  let response = await send(method, url, options);
  if (response.status === 401 && !NO_REFRESH.includes(path)) {
    const refreshed = accessToken ? await refreshSession() : null;
    if (refreshed) {
      response = await send(method, url, options);
    } else {
      session.set(null);
      onSessionExpired();
    }
  }
  if (!response.ok) throw failed(await errorFrom(response));
  return response;
}

/** Send a request; returns the parsed body with the response headers (for ETag), throws ApiError. */
export async function request<T>(method: string, path: string, options: RequestOptions = {}): Promise<ApiResponse<T>> {
  const response = await authorized(method, path, options);
  const data = (response.status === 204 ? null : await response.json()) as T;
  return { data, headers: response.headers, status: response.status };
}

export interface DownloadedFile {
  blob: Blob;
  /** From Content-Disposition, else `fallback`. */
  filename: string;
}

/**
 * GET a file (a CSV export) as a Blob. A plain link cannot carry the in-memory access token, so the file is
 * fetched like any other request and handed to the browser afterwards (see saveFile in lib/utils).
 */
export async function downloadFile(path: string, fallback: string, options: RequestOptions = {}): Promise<DownloadedFile> {
  const response = await authorized("GET", path, { ...options, headers: { Accept: "*/*", ...options.headers } });
  const disposition = response.headers.get("Content-Disposition") ?? "";
  const filename = /filename="?([^";]+)"?/.exec(disposition)?.[1] ?? fallback;
  return { blob: await response.blob(), filename };
}

export interface UploadOptions {
  /** Called with the share of the body sent so far, 0..1. */
  onProgress?: (fraction: number) => void;
  signal?: AbortSignal;
}

function parseXhrBody(xhr: XMLHttpRequest): unknown {
  try {
    return xhr.responseText ? JSON.parse(xhr.responseText) : null;
  } catch {
    return null;
  }
}

function sendForm(url: string, form: FormData, options: UploadOptions): Promise<XMLHttpRequest> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open("POST", url);
    xhr.withCredentials = true;
    xhr.setRequestHeader("Accept", "application/json");
    if (accessToken) xhr.setRequestHeader("Authorization", `Bearer ${accessToken}`);
    xhr.upload.onprogress = (event) => {
      if (event.lengthComputable && event.total > 0) options.onProgress?.(event.loaded / event.total);
    };
    xhr.onload = () => resolve(xhr);
    xhr.onerror = () => reject(new ApiError(0, "network_error", "The upload failed: the server could not be reached."));
    xhr.onabort = () => reject(new ApiError(0, "aborted", "The upload was cancelled."));
    options.signal?.addEventListener("abort", () => xhr.abort(), { once: true });
    xhr.send(form);
  });
}

/**
 * POST a multipart body with upload progress. fetch cannot report how much of a request body was sent, so
 * this is the one XMLHttpRequest in the app; it keeps request()'s token, single refresh on 401 and ApiError.
 */
export async function upload<T>(path: string, form: FormData, options: UploadOptions = {}): Promise<T> {
  const url = buildUrl(path, undefined);
  let xhr = await sendForm(url, form, options);
  if (xhr.status === 401) {
    const refreshed = accessToken ? await refreshSession() : null;
    if (refreshed) {
      xhr = await sendForm(url, form, options);
    } else {
      session.set(null);
      onSessionExpired();
    }
  }
  const body = parseXhrBody(xhr);
  if (xhr.status < 200 || xhr.status >= 300) {
    const error = (body as { error?: { code?: string; message?: string; details?: unknown } } | null)?.error;
    throw failed(
      new ApiError(
        xhr.status,
        error?.code ?? "http_error",
        error?.message ?? `${xhr.status} ${xhr.statusText}`.trim(),
        error?.details,
        body,
      ),
    );
  }
  options.onProgress?.(1);
  return body as T;
}

export const http = {
  get: <T>(path: string, options?: RequestOptions) => request<T>("GET", path, options).then((r) => r.data),
  post: <T>(path: string, body?: unknown, options?: RequestOptions) =>
    request<T>("POST", path, { ...options, body }).then((r) => r.data),
  put: <T>(path: string, body?: unknown, options?: RequestOptions) =>
    request<T>("PUT", path, { ...options, body }).then((r) => r.data),
  delete: <T = null>(path: string, options?: RequestOptions) => request<T>("DELETE", path, options).then((r) => r.data),
};

/** A user-facing sentence for any thrown value. */
export function errorMessage(error: unknown): string {
  if (error instanceof ApiError) return error.message;
  if (error instanceof Error) return error.message;
  return "Something went wrong.";
}
