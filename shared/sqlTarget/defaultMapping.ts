import { compileMapping } from './compileMapping.js';
import type { SqlType } from './constants.js';
import type { ColumnDefinition, CompiledMapping, MappingDefinition } from './types.js';

const c = (name: string, type: SqlType, path: string): ColumnDefinition => ({ name, type, path });

/** `Patient/{id}` references as the patient's id, for joins with `patient.id` (other forms: NULL). */
const patientId = (element: string): ColumnDefinition =>
  c(
    'patient_id',
    'text',
    `iif(${element}.reference.startsWith('Patient/'), ${element}.reference.substring(8), {})`,
  );

/** The first coding of a CodeableConcept as `{prefix}_system`, `{prefix}` (code) and `{prefix}_display`. */
const firstCoding = (prefix: string, concept: string): ColumnDefinition[] => [
  c(`${prefix}_system`, 'text', `${concept}.coding.first().system`),
  c(prefix, 'text', `${concept}.coding.first().code`),
  c(`${prefix}_display`, 'text', `${concept}.coding.first().display`),
];

/** A child table with one row per coding of a CodeableConcept. */
const codings = (table: string, concept: string) => ({
  table,
  forEach: `${concept}.coding`,
  columns: [c('system', 'text', 'system'), c('code', 'text', 'code'), c('display', 'text', 'display')],
});

const lastUpdated = c('last_updated', 'timestamptz', 'meta.lastUpdated');

/**
 * The transformers used when no mapping file is configured: the common clinical types, with their
 * codes, subjects, dates and values as columns, and names, identifiers, codings and components as
 * child tables. Every repeating element a column reads is narrowed with first(), so no resource
 * fails for having two. Print it with `hlc sql mapping` to start a mapping of one's own.
 */
export const DEFAULT_MAPPING: MappingDefinition = {
  transformers: [
    {
      resourceType: 'Patient',
      table: 'patient',
      columns: [
        c('active', 'boolean', 'active'),
        c('gender', 'text', 'gender'),
        c('birth_date', 'date', 'birthDate'),
        c('deceased', 'boolean', 'iif(deceased.ofType(dateTime).exists(), true, deceased.ofType(boolean))'),
        c('deceased_date_time', 'timestamptz', 'deceased.ofType(dateTime)'),
        c('family_name', 'text', 'name.first().family'),
        c('given_name', 'text', "name.first().given.join(' ')"),
        c('marital_status', 'text', 'maritalStatus.coding.first().code'),
        c(
          'multiple_birth',
          'boolean',
          'iif(multipleBirth.ofType(integer).exists(), true, multipleBirth.ofType(boolean))',
        ),
        c('language', 'text', 'communication.first().language.coding.first().code'),
        c('city', 'text', 'address.first().city'),
        c('state', 'text', 'address.first().state'),
        c('postal_code', 'text', 'address.first().postalCode'),
        c('country', 'text', 'address.first().country'),
        c('managing_organization', 'text', 'managingOrganization.reference'),
        lastUpdated,
      ],
      children: [
        {
          table: 'patient_name',
          forEach: 'name',
          columns: [
            c('use', 'text', 'use'),
            c('family', 'text', 'family'),
            c('given', 'text', "given.join(' ')"),
            c('prefix', 'text', "prefix.join(' ')"),
            c('suffix', 'text', "suffix.join(' ')"),
            c('text', 'text', 'text'),
            c('period_start', 'timestamptz', 'period.start'),
            c('period_end', 'timestamptz', 'period.end'),
          ],
        },
        {
          table: 'patient_identifier',
          forEach: 'identifier',
          columns: [
            c('use', 'text', 'use'),
            c('system', 'text', 'system'),
            c('value', 'text', 'value'),
            c('type_code', 'text', 'type.coding.first().code'),
            c('type_text', 'text', 'type.text'),
          ],
        },
        {
          table: 'patient_telecom',
          forEach: 'telecom',
          columns: [c('system', 'text', 'system'), c('value', 'text', 'value'), c('use', 'text', 'use')],
        },
        {
          table: 'patient_address',
          forEach: 'address',
          columns: [
            c('use', 'text', 'use'),
            c('line', 'text', "line.join(', ')"),
            c('city', 'text', 'city'),
            c('state', 'text', 'state'),
            c('postal_code', 'text', 'postalCode'),
            c('country', 'text', 'country'),
          ],
        },
      ],
    },
    {
      resourceType: 'Encounter',
      table: 'encounter',
      columns: [
        c('status', 'text', 'status'),
        c('class_system', 'text', 'class.system'),
        c('class_code', 'text', 'class.code'),
        ...firstCoding('type', 'type.first()'),
        patientId('subject'),
        c('subject_reference', 'text', 'subject.reference'),
        c('period_start', 'timestamptz', 'period.start'),
        c('period_end', 'timestamptz', 'period.end'),
        ...firstCoding('reason', 'reasonCode.first()'),
        c('service_provider', 'text', 'serviceProvider.reference'),
        lastUpdated,
      ],
      children: [
        codings('encounter_type', 'type'),
        {
          table: 'encounter_participant',
          forEach: 'participant',
          columns: [
            c('type_code', 'text', 'type.first().coding.first().code'),
            c('individual_reference', 'text', 'individual.reference'),
            c('period_start', 'timestamptz', 'period.start'),
            c('period_end', 'timestamptz', 'period.end'),
          ],
        },
      ],
    },
    {
      resourceType: 'Observation',
      table: 'observation',
      columns: [
        c('status', 'text', 'status'),
        c('category', 'text', 'category.first().coding.first().code'),
        ...firstCoding('code', 'code'),
        c('code_text', 'text', 'code.text'),
        patientId('subject'),
        c('subject_reference', 'text', 'subject.reference'),
        c('encounter_reference', 'text', 'encounter.reference'),
        c(
          'effective_date_time',
          'timestamptz',
          'effective.ofType(dateTime) | effective.ofType(Period).start',
        ),
        c('issued', 'timestamptz', 'issued'),
        c('value_quantity', 'numeric', 'value.ofType(Quantity).value'),
        c('value_unit', 'text', 'value.ofType(Quantity).unit'),
        c('value_code', 'text', 'value.ofType(CodeableConcept).coding.first().code'),
        c('value_display', 'text', 'value.ofType(CodeableConcept).coding.first().display'),
        c('value_string', 'text', 'value.ofType(string)'),
        c('value_boolean', 'boolean', 'value.ofType(boolean)'),
        c('value_integer', 'integer', 'value.ofType(integer)'),
        lastUpdated,
      ],
      children: [
        codings('observation_coding', 'code'),
        codings('observation_category', 'category'),
        {
          table: 'observation_component',
          forEach: 'component',
          columns: [
            ...firstCoding('code', 'code'),
            c('value_quantity', 'numeric', 'value.ofType(Quantity).value'),
            c('value_unit', 'text', 'value.ofType(Quantity).unit'),
            c('value_code', 'text', 'value.ofType(CodeableConcept).coding.first().code'),
            c('value_string', 'text', 'value.ofType(string)'),
          ],
        },
      ],
    },
    {
      resourceType: 'Condition',
      table: 'condition',
      columns: [
        c('clinical_status', 'text', 'clinicalStatus.coding.first().code'),
        c('verification_status', 'text', 'verificationStatus.coding.first().code'),
        c('category', 'text', 'category.first().coding.first().code'),
        ...firstCoding('code', 'code'),
        patientId('subject'),
        c('encounter_reference', 'text', 'encounter.reference'),
        c('onset_date_time', 'timestamptz', 'onset.ofType(dateTime) | onset.ofType(Period).start'),
        c('abatement_date_time', 'timestamptz', 'abatement.ofType(dateTime) | abatement.ofType(Period).end'),
        c('recorded_date', 'timestamptz', 'recordedDate'),
        lastUpdated,
      ],
      children: [codings('condition_coding', 'code')],
    },
    {
      resourceType: 'Procedure',
      table: 'procedure',
      columns: [
        c('status', 'text', 'status'),
        ...firstCoding('code', 'code'),
        patientId('subject'),
        c('encounter_reference', 'text', 'encounter.reference'),
        c('performed_start', 'timestamptz', 'performed.ofType(dateTime) | performed.ofType(Period).start'),
        c('performed_end', 'timestamptz', 'performed.ofType(Period).end'),
        ...firstCoding('reason', 'reasonCode.first()'),
        lastUpdated,
      ],
      children: [codings('procedure_coding', 'code')],
    },
    {
      resourceType: 'MedicationRequest',
      table: 'medication_request',
      columns: [
        c('status', 'text', 'status'),
        c('intent', 'text', 'intent'),
        ...firstCoding('medication', 'medication.ofType(CodeableConcept)'),
        c('medication_reference', 'text', 'medication.ofType(Reference).reference'),
        patientId('subject'),
        c('encounter_reference', 'text', 'encounter.reference'),
        c('authored_on', 'timestamptz', 'authoredOn'),
        c('requester_reference', 'text', 'requester.reference'),
        c('dosage_text', 'text', 'dosageInstruction.first().text'),
        lastUpdated,
      ],
      children: [
        {
          table: 'medication_request_dosage',
          forEach: 'dosageInstruction',
          columns: [
            c('sequence', 'integer', 'sequence'),
            c('text', 'text', 'text'),
            c('as_needed', 'boolean', 'asNeeded.ofType(boolean)'),
            c('frequency', 'integer', 'timing.repeat.frequency'),
            c('period', 'numeric', 'timing.repeat.period'),
            c('period_unit', 'text', 'timing.repeat.periodUnit'),
            c('dose_quantity', 'numeric', 'doseAndRate.first().dose.ofType(Quantity).value'),
            c('dose_unit', 'text', 'doseAndRate.first().dose.ofType(Quantity).unit'),
          ],
        },
      ],
    },
    {
      resourceType: 'AllergyIntolerance',
      table: 'allergy_intolerance',
      columns: [
        c('clinical_status', 'text', 'clinicalStatus.coding.first().code'),
        c('verification_status', 'text', 'verificationStatus.coding.first().code'),
        c('type', 'text', 'type'),
        c('category', 'jsonb', 'category'),
        c('criticality', 'text', 'criticality'),
        ...firstCoding('code', 'code'),
        patientId('patient'),
        c('onset_date_time', 'timestamptz', 'onset.ofType(dateTime)'),
        c('recorded_date', 'timestamptz', 'recordedDate'),
        lastUpdated,
      ],
      children: [
        {
          table: 'allergy_intolerance_reaction',
          forEach: 'reaction',
          columns: [
            ...firstCoding('substance', 'substance'),
            ...firstCoding('manifestation', 'manifestation.first()'),
            c('severity', 'text', 'severity'),
            c('onset', 'timestamptz', 'onset'),
          ],
        },
      ],
    },
    {
      resourceType: 'Immunization',
      table: 'immunization',
      columns: [
        c('status', 'text', 'status'),
        ...firstCoding('vaccine', 'vaccineCode'),
        patientId('patient'),
        c('encounter_reference', 'text', 'encounter.reference'),
        c('occurrence_date_time', 'timestamptz', 'occurrence.ofType(dateTime)'),
        c('primary_source', 'boolean', 'primarySource'),
        c('lot_number', 'text', 'lotNumber'),
        lastUpdated,
      ],
      children: [codings('immunization_vaccine_coding', 'vaccineCode')],
    },
  ],
};

/** The default transformers, compiled. */
export const defaultMapping = (): CompiledMapping =>
  compileMapping(DEFAULT_MAPPING, 'the default SQL mapping');
