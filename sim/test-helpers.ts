import { expect } from 'vitest';
import { SimError, type SimErrorCode } from './errors.js';

/** Asserts that `fn` throws a SimError with this stable code (and, optionally, a message matching `text`). */
export function expectSimError(fn: () => unknown, code: SimErrorCode, text?: RegExp): void {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(SimError);
  expect((caught as SimError).code).toBe(code);
  if (text !== undefined) expect((caught as SimError).message).toMatch(text);
}
