import { describe, expect, it } from 'vitest';
import { DynamoPartnerStore } from '../../functions/adapters/dynamodb/partner-store.ts';
import { createTestTable } from '../support/dynamo.ts';

describe('DynamoDB Local harness', () => {
  it('creates a table from the design and round-trips a partner', async () => {
    const connection = await createTestTable();
    const partners = new DynamoPartnerStore(connection);
    expect(await partners.savePartner({ email: 'sam@example.com', name: 'Sam Lee', timeZone: 'Europe/London', createdAt: '2026-11-24T00:00:00.000Z' })).toBe('added');
    expect(await partners.savePartner({ email: 'sam@example.com', name: 'Sam Lee', timeZone: 'America/New_York', createdAt: '2026-11-25T00:00:00.000Z' })).toBe('updated');
    const stored = await partners.getPartner('SAM@example.com');
    expect(stored).toEqual({ email: 'sam@example.com', name: 'Sam Lee', timeZone: 'America/New_York', createdAt: '2026-11-24T00:00:00.000Z' });
    expect((await partners.listPartners()).map((partner) => partner.email)).toEqual(['sam@example.com']);
    expect(await partners.removePartner('sam@example.com')).toBe(true);
    expect(await partners.getPartner('sam@example.com')).toBeNull();
  });
});
