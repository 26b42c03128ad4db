import { expect } from 'vitest';
import { allCustomMatcherWithAliases, type CustomMatcher } from 'aws-sdk-client-mock-vitest';

/**
 * aws-sdk-client-mock-vitest's matchers and their `toReceive...` aliases (`toHaveReceivedCommandTimes`, `toReceiveCommandWith`...),
 * registered with `expect.extend` as the package documents. Imported for its effect by the
 * capture harness, so every test file that uses the harness has them.
 */
expect.extend(allCustomMatcherWithAliases);

declare module 'vitest' {
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type, @typescript-eslint/no-explicit-any
  interface Matchers<T = any> extends CustomMatcher<T> {}
}
