/** Whether a handler's return value is a generator (a `function*` orchestration). */
export function isGenerator(value: unknown): value is Generator<unknown, unknown, unknown> {
  return (
    value !== null &&
    typeof value === 'object' &&
    typeof (value as Generator).next === 'function' &&
    typeof (value as Generator).throw === 'function' &&
    typeof (value as Generator)[Symbol.iterator] === 'function'
  );
}

/**
 * Drives a generator orchestration on the async engine: `yield task` evaluates to the task's result and
 * failures are thrown into the generator; yielding a plain value gives the value back.
 */
export function runGenerator(gen: Generator<unknown, unknown, unknown>): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const step = (mode: 'next' | 'throw', arg: unknown): void => {
      let current: IteratorResult<unknown, unknown>;
      let nextMode = mode;
      let nextArg = arg;
      // Plain (non-thenable) yields loop synchronously instead of recursing.
      for (;;) {
        try {
          current = nextMode === 'next' ? gen.next(nextArg) : gen.throw(nextArg);
        } catch (error) {
          reject(error);
          return;
        }
        if (current.done) {
          resolve(current.value);
          return;
        }
        const yielded = current.value;
        if (
          yielded !== null &&
          (typeof yielded === 'object' || typeof yielded === 'function') &&
          typeof (yielded as PromiseLike<unknown>).then === 'function'
        ) {
          (yielded as PromiseLike<unknown>).then(
            (value) => step('next', value),
            (error) => step('throw', error),
          );
          return;
        }
        nextMode = 'next';
        nextArg = yielded;
      }
    };
    step('next', undefined);
  });
}
