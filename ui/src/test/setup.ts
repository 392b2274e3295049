/** Vitest setup: the browser APIs React Flow needs that jsdom lacks, and a clean DOM/store per test. */
import { cleanup } from "@testing-library/react";
import { afterAll, afterEach, beforeAll, expect } from "vitest";

import { server } from "@/test/server";

class ResizeObserverStub {
  observe() {}
  unobserve() {}
  disconnect() {}
}

class DOMMatrixStub {
  m22: number;
  constructor(transform?: string) {
    const scale = transform?.match(/scale\(([\d.]+)\)/);
    this.m22 = scale ? Number(scale[1]) : 1;
  }
}

globalThis.ResizeObserver ??= ResizeObserverStub as unknown as typeof ResizeObserver;
(globalThis as { DOMMatrixReadOnly?: unknown }).DOMMatrixReadOnly ??= DOMMatrixStub;
// React Flow measures nodes; give every element a size so nodes count as rendered.
Object.defineProperties(HTMLElement.prototype, {
  offsetHeight: { get: () => 60, configurable: true },
  offsetWidth: { get: () => 224, configurable: true },
});
(SVGElement.prototype as unknown as { getBBox: () => DOMRect }).getBBox = () =>
  ({ x: 0, y: 0, width: 40, height: 14 }) as DOMRect;

// A request no handler answers fails the test that made it.
const unhandled: string[] = [];
beforeAll(() => server.listen({ onUnhandledRequest: (request) => void unhandled.push(`${request.method} ${request.url}`) }));
afterEach(() => {
  cleanup();
  server.resetHandlers();
  expect(unhandled.splice(0), "requests without a handler").toEqual([]);
});
afterAll(() => server.close());
