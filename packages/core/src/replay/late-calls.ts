/**
 * Remembers context calls made after their turn ended (the code awaited a foreign promise such as
 * `fetch` or `setTimeout`). The next turn of the same instance and handler in this process fails with
 * a nondeterminism error that says so. Keyed weakly by handler so unrelated tests never collide.
 */
const lateCalls = new WeakMap<object, Map<string, string>>();

/** Records a late call for the instance's next turn. */
export function reportLateCall(handler: object, instance: string, message: string): void {
  let byInstance = lateCalls.get(handler);
  if (byInstance === undefined) {
    byInstance = new Map();
    lateCalls.set(handler, byInstance);
  }
  if (!byInstance.has(instance)) byInstance.set(instance, message);
}

/** Returns and forgets the late call recorded for this instance and handler, if any. */
export function takeLateCall(handler: object, instance: string): string | null {
  const byInstance = lateCalls.get(handler);
  const message = byInstance?.get(instance);
  if (message === undefined) return null;
  byInstance!.delete(instance);
  return message;
}

/** Whether a late call is recorded for this instance and handler (without forgetting it). */
export function hasLateCall(handler: object, instance: string): boolean {
  return lateCalls.get(handler)?.has(instance) ?? false;
}
