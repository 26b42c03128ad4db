/** What a crash injected by a `CrashPlan` throws: the function dying at that point. */
export class InjectedCrash extends Error {
  override readonly name = 'InjectedCrash';
}

/**
 * Counts every call made through the ports it wraps, in order, and makes exactly one of them
 * crash: call number `at` (from 0) throws before it runs, or right after it took effect (its
 * answer is lost). With `at` null it only counts: a dry run tells how many steps there are.
 */
export class CrashPlan {
  readonly calls: string[] = [];
  /** The step that crashed, once it has. */
  crashed: string | null = null;

  constructor(
    readonly at: number | null = null,
    readonly when: 'before' | 'after' = 'before',
  ) {}

  /**
   * `target` with every method counted. `nested` names methods whose answer is itself a port to
   * wrap (a calendar opened for a partner), with the label to give it.
   */
  wrap<T extends object>(label: string, target: T, nested: Readonly<Record<string, string>> = {}): T {
    // eslint-disable-next-line @typescript-eslint/no-this-alias -- the proxy's handler has its own `this`
    const plan = this;
    return new Proxy(target, {
      get(object, property, receiver) {
        const value: unknown = Reflect.get(object, property, receiver);
        if (typeof value !== 'function') return value;
        const name = `${label}.${String(property)}`;
        const inner = nested[String(property)];
        return (...args: unknown[]) => {
          const index = plan.calls.length;
          plan.calls.push(name);
          const crashHere = index === plan.at && plan.crashed === null;
          if (crashHere && plan.when === 'before') {
            plan.crashed = name;
            throw new InjectedCrash(`crashed before ${name}`);
          }
          const after = (result: unknown) => {
            if (crashHere) {
              plan.crashed = name;
              throw new InjectedCrash(`crashed after ${name}`);
            }
            return inner && result && typeof result === 'object' ? plan.wrap(inner, result) : result;
          };
          const result: unknown = (value as (...callArgs: unknown[]) => unknown).apply(object, args);
          return result instanceof Promise ? result.then(after) : after(result);
        };
      },
    });
  }
}

/** Steps that change something (a write, an email, a calendar event, a schedule); the rest only read. */
const SIDE_EFFECT = /\.(save|add|adopt|record|set|claim|mark|send|create|delete|arm|disarm|connect|update|put|remove)/i;

/**
 * The crash points of a dry run's steps: before and after each. Around a read, a crash is the
 * same as one after the step before it, so on every `npm test` only the steps that change
 * something get their two crashes; the soak run (`all`) crashes around every step.
 */
export function crashPoints(steps: readonly string[], all: boolean): { at: number; when: 'before' | 'after' }[] {
  return steps
    .map((name, at) => ({ name, at }))
    .filter(({ name }) => all || SIDE_EFFECT.test(name))
    .flatMap(({ at }) => [
      { at, when: 'before' as const },
      { at, when: 'after' as const },
    ]);
}
