import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { DISCOVERY_PATH, DiscoveryValidator, loadCalendarDiscovery } from '../../functions/local/loopback-google/index.ts';
import { listMethods, parseDiscoveryDocument, type DiscoveryDocument } from '../../functions/local/loopback-google/discovery.ts';

const SHARED_COPY = '/work/shared/corpus/google/calendar-v3.json';
const SIBLING_SHARED_COPY = fileURLToPath(new URL('../../../shared/corpus/google/calendar-v3.json', import.meta.url));
const VENDORED_COPY = fileURLToPath(new URL('../corpus/google/calendar-v3.json', import.meta.url));

const doc = loadCalendarDiscovery();
const validator = new DiscoveryValidator(doc);

describe('the discovery document copy', () => {
  const copies = [...new Set([SHARED_COPY, SIBLING_SHARED_COPY, VENDORED_COPY])].filter((path) => existsSync(path));

  it('is byte-identical to the corpus copy of Google Calendar v3 (when the corpus is present)', () => {
    const ours = readFileSync(DISCOVERY_PATH);
    for (const path of copies) expect(ours.equals(readFileSync(path)), path).toBe(true);
  });

  it('is the Calendar v3 document this server was built against', () => {
    expect(doc).toMatchObject({ name: 'calendar', version: 'v3', revision: '20260519', servicePath: 'calendar/v3/' });
  });
});

describe('routing from the discovery document', () => {
  it('maps every method path of the document back to that method, with decoded parameters', () => {
    for (const method of listMethods(doc)) {
      const path = `/${doc.servicePath}${method.path.replace(/\{\+?([A-Za-z]+)\}/g, (_, name: string) => encodeURIComponent(`${name}-value@example.com`))}`;
      const matched = validator.matchMethod(method.httpMethod, path);
      expect(matched?.method.id, `${method.httpMethod} ${path}`).toBe(method.id);
      const pathNames = Object.entries(method.parameters ?? {}).filter(([, spec]) => spec.location === 'path').map(([name]) => name);
      expect(Object.keys(matched?.pathParams ?? {}).sort()).toEqual(pathNames.sort());
      for (const name of pathNames) expect(matched?.pathParams[name]).toBe(`${name}-value@example.com`);
    }
    expect(validator.matchMethod('POST', '/calendar/v3/calendars/primary/events/import')?.method.id).toBe('calendar.events.import');
    expect(validator.matchMethod('GET', '/calendar/v3/calendars/primary/events/import')?.method.id).toBe('calendar.events.get');
    expect(validator.matchMethod('GET', '/calendar/v3/nothing/here')).toBeUndefined();
  });
});

describe('body validation from the schemas', () => {
  const check = (schema: string, value: unknown, methodId?: string) =>
    validator.validateBody(schema, value, { mode: 'request', ...(methodId ? { methodId } : {}) }).map((issue) => `${issue.reason}: ${issue.message}`);

  it('accepts a full, valid event', () => {
    expect(
      check(
        'Event',
        {
          id: 'abcdef012345',
          summary: 'x',
          start: { dateTime: '2031-03-04T09:00:00+01:00', timeZone: 'Europe/Paris' },
          end: { date: '2031-03-05' },
          attendees: [{ email: 'a@example.com', additionalGuests: 2, optional: false }],
          reminders: { useDefault: false, overrides: [{ method: 'popup', minutes: 10 }] },
          extendedProperties: { private: { a: 'b' }, shared: {} },
          conferenceData: { createRequest: { requestId: 'r', conferenceSolutionKey: { type: 'hangoutsMeet' } } },
          workingLocationProperties: { homeOffice: { anything: ['goes'] } },
          sequence: '3',
          description: null,
        },
        'calendar.events.insert',
      ),
    ).toEqual([]);
  });

  it('follows $ref, arrays, maps, formats and int32 bounds', () => {
    expect(check('Event', { attendees: [{ email: 'a@example.com', additionalGuests: 2 ** 31 }] })).toEqual([
      "invalid: Invalid value at 'resource.attendees[0].additionalGuests' (TYPE_INT32), 2147483648",
    ]);
    expect(check('Event', { attendees: [null] })).toHaveLength(1);
    expect(check('Event', { start: { date: '2031-02-30' } })).toEqual(["invalid: Invalid value at 'resource.start.date' (date, yyyy-mm-dd), \"2031-02-30\""]);
    expect(check('Event', { start: { dateTime: '2031-03-04 09:00' } })).toHaveLength(1);
    expect(check('Event', { extendedProperties: { shared: { key: true } } })).toEqual(["invalid: Invalid value at 'resource.extendedProperties.shared.key' (TYPE_STRING), true"]);
    expect(check('Event', { reminders: { overrides: { method: 'popup' } } })).toEqual(["invalid: Invalid value at 'resource.reminders.overrides' (array), {\"method\":\"popup\"}"]);
    expect(check('Event', { sequence: 1.5 })).toHaveLength(1);
    expect(check('Event', { anyoneCanAddSelf: 'true' })).toHaveLength(1);
    expect(check('FreeBusyRequest', { items: [{ id: 'x', extra: 1 }] })).toEqual([
      'invalid: Invalid JSON payload received. Unknown name "extra" at \'resource.items[0]\': Cannot find field.',
    ]);
    expect(check('Event', 'not an object')).toHaveLength(1);
  });

  it('applies annotations.required for the method being called, and only for it', () => {
    expect(check('Event', { summary: 'x' }, 'calendar.events.insert').map((issue) => issue.split(':')[0])).toEqual(['required', 'required']);
    expect(check('Event', { summary: 'x' }, 'calendar.events.patch')).toEqual([]);
    expect(check('AclRule', { scope: {} }, 'calendar.acl.insert')).toEqual(['required: Missing required field: resource.scope.type', 'required: Missing required field: resource.role']);
  });

  it('rejects null in a response, where Google would omit the field', () => {
    expect(validator.validateBody('Event', { summary: null }, { mode: 'response' })).toHaveLength(1);
    expect(validator.validateBody('Event', { summary: 'x', surprise: 1 }, { mode: 'response' })).toHaveLength(1);
  });

  it("finds the schema's read-only properties from the document's own wording", () => {
    const paths = validator.readOnlyPaths('Event');
    for (const path of ['created', 'updated', 'creator', 'organizer', 'htmlLink', 'hangoutLink', 'locked', 'attendees[].self', 'attendees[].organizer', 'conferenceData.createRequest.status.statusCode']) {
      expect(paths).toContain(path);
    }
    expect(paths).not.toContain('summary');
    const stripped = validator.withoutReadOnly('Event', { summary: 's', created: 'c', attendees: [{ email: 'e', self: true }] });
    expect(stripped).toEqual({ summary: 's', attendees: [{ email: 'e' }] });
  });
});

describe('query parameter validation', () => {
  const method = (id: string) => {
    const found = listMethods(doc).find((candidate) => candidate.id === id);
    if (!found) throw new Error(id);
    return found;
  };
  const query = (id: string, search: string) => validator.validateQuery(method(id), new URLSearchParams(search));

  it('types values and accepts the global parameters', () => {
    const { values, issues } = query('calendar.events.list', 'maxResults=5&showDeleted=true&eventTypes=default&eventTypes=focusTime&timeMin=2031-03-04T00:00:00Z&prettyPrint=false&quotaUser=u');
    expect(issues).toEqual([]);
    expect(values).toEqual({ maxResults: 5, showDeleted: true, eventTypes: ['default', 'focusTime'], timeMin: '2031-03-04T00:00:00Z', prettyPrint: false, quotaUser: 'u' });
  });

  it('rejects unknown, repeated, out-of-range, mistyped and non-enum values', () => {
    const reasons = (search: string, id = 'calendar.events.list') => query(id, search).issues.map((issue) => `${issue.location ?? ''} ${issue.message}`);
    expect(reasons('colour=red')[0]).toContain('Unknown name "colour"');
    expect(reasons('maxResults=1&maxResults=2')).toHaveLength(1);
    expect(reasons('maxResults=0')).toEqual(["maxResults Invalid value '0'. Values must be within the range: [1, ]"]);
    expect(reasons('maxResults=ten')).toEqual(["maxResults Invalid integer value: 'ten'."]);
    expect(reasons('showDeleted=yes')).toEqual(["showDeleted Invalid boolean value: 'yes'."]);
    expect(reasons('orderBy=summary')).toHaveLength(1);
    expect(reasons('timeMin=2031-03-04')).toHaveLength(1);
    expect(reasons('conferenceDataVersion=2', 'calendar.events.insert')).toEqual(["conferenceDataVersion Invalid value '2'. Values must be within the range: [0, 1]"]);
  });
});

describe('a discovery document of another shape', () => {
  it('is read generically: a tiny made-up API validates the same way', () => {
    const tiny: DiscoveryDocument = parseDiscoveryDocument(
      JSON.stringify({
        name: 'tiny',
        version: 'v1',
        rootUrl: 'https://example.com/',
        servicePath: 'tiny/v1/',
        parameters: {},
        schemas: {
          Box: { id: 'Box', type: 'object', properties: { items: { type: 'array', items: { $ref: 'Item' } }, tags: { type: 'object', additionalProperties: { type: 'integer', format: 'int32' } } } },
          Item: { id: 'Item', type: 'object', properties: { when: { type: 'string', format: 'date-time' } } },
        },
        resources: { boxes: { methods: { get: { id: 'tiny.boxes.get', path: 'boxes/{+name}', httpMethod: 'GET', parameters: { name: { type: 'string', location: 'path', required: true } } } } } },
      }),
    );
    const tinyValidator = new DiscoveryValidator(tiny);
    expect(tinyValidator.validateBody('Box', { items: [{ when: '2031-03-04T09:00:00Z' }], tags: { a: 1 } }, { mode: 'response' })).toEqual([]);
    expect(tinyValidator.validateBody('Box', { items: [{ when: 'soon' }], tags: { a: 'one' } }, { mode: 'response' })).toHaveLength(2);
    expect(tinyValidator.matchMethod('GET', '/tiny/v1/boxes/a/b')?.pathParams).toEqual({ name: 'a/b' });
  });
});
