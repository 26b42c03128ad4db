import 'vitest';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Endpoint of the in-memory DynamoDB Local shared by every test file; each file makes its own table. */
    dynamoEndpoint: string;
  }
}
