import { describe, expect, it } from 'vitest';
import {
  normalizeOrigins,
  parseResourceReference,
} from '../../../shared/notifications/parseResourceReference.js';
import { fixtureRules } from '../../helpers/backportNotifications.js';

const parse = (value: unknown, allowType = false) => parseResourceReference(value, fixtureRules, allowType);

describe('Function: parseResourceReference', () => {
  it.each([
    ['Encounter/42', { resourceType: 'Encounter', id: '42' }],
    ['Encounter/42/_history/3', { resourceType: 'Encounter', id: '42', versionId: '3' }],
    ['https://example.org/fhir/Encounter/a.b-c', { resourceType: 'Encounter', id: 'a.b-c' }],
    [
      'https://EXAMPLE.org:443/fhir/r4/Patient/1/_history/2',
      { resourceType: 'Patient', id: '1', versionId: '2' },
    ],
    ['http://hapi.example.org/fhir/Encounter/42', { resourceType: 'Encounter', id: '42' }],
  ])('reads %s', (value, ref) => {
    expect(parse(value)).toEqual({ kind: 'resource', ref });
  });

  it('reads urn: names and, when asked, a bare type (a create request.url)', () => {
    expect(parse('urn:uuid:9e41ff6d-5be6-4e6a-8b85-abd4e7f58400')).toEqual({ kind: 'urn' });
    expect(parse('Encounter', true)).toEqual({ kind: 'type', resourceType: 'Encounter' });
    expect(parse('Encounter')).toEqual({ kind: 'problem', problem: 'malformed' });
    expect(parse('Bogus', true)).toEqual({ kind: 'problem', problem: 'resource-type' });
  });

  it.each([
    [42, 'malformed'],
    ['', 'malformed'],
    ['Encounter/42 ', 'malformed'],
    ['Encounter/ä', 'malformed'],
    ['/Encounter/42', 'malformed'],
    ['base/Encounter/42', 'malformed'],
    ['Encounter/42/_history', 'malformed'],
    ['Encounter/42/x/3', 'malformed'],
    ['Encounter/42#frag', 'malformed'],
    ['https://example.org/fhir/Encounter/42?x=1', 'malformed'],
    ['https://example.org/fhir/Encounter/42#x', 'malformed'],
    ['ftp://example.org/fhir/Encounter/42', 'malformed'],
    ['https://example.org/', 'malformed'],
    ['https://example.org.evil.example/fhir/Encounter/42', 'origin'],
    ['https://example.org@evil.example/fhir/Encounter/42', 'malformed'],
    ['https://example.org/fhir/Encounter', 'resource-type'],
    ['Encounter/' + 'a'.repeat(65), 'id'],
    ['Encounter/42/_history/..', 'id'],
    ['https://example.org/fhir/Encounter/%2e%2e', 'malformed'],
    ['Subscriptions/1', 'resource-type'],
  ])('refuses %j (%s)', (value, problem) => {
    expect(parse(value)).toEqual({ kind: 'problem', problem });
  });

  it('resolves dot segments before reading the last two, so traversal cannot smuggle a type', () => {
    expect(parse('https://example.org/fhir/Patient/1/../../Encounter/2')).toEqual({
      kind: 'resource',
      ref: { resourceType: 'Encounter', id: '2' },
    });
  });
});

describe('Function: normalizeOrigins', () => {
  it('keeps only scheme, host and port, lower-cased, default ports dropped', () => {
    expect([...normalizeOrigins(['https://Example.org:443/fhir/', 'http://localhost:8080'])]).toEqual([
      'https://example.org',
      'http://localhost:8080',
    ]);
  });

  it('throws on an origin that is not http(s) or not a URL', () => {
    expect(() => normalizeOrigins(['ftp://example.org'])).toThrow('http(s)');
    expect(() => normalizeOrigins(['example.org'])).toThrow();
  });
});
