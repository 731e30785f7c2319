/**
 * Smile CDR's replication channel extensions, as the deliverer applies them (seed 001):
 * `replicate-id-prefix`, `replicate-id-prefix-selector`, `replicate-strip-id-prefix` and
 * `replicate-strip-reference-base-url`. All optional; an empty object changes nothing.
 */
export interface ReplicationSettings {
  /** Prefix added to resource ids and to the references that point at them. */
  readonly idPrefix?: string;
  /** Only `Type/id` values this pattern fully matches get `idPrefix` (validated by `checkIdSelector`). */
  readonly idPrefixSelector?: string;
  /** Prefix removed from ids and references (applied before `idPrefix`). */
  readonly stripIdPrefix?: string;
  /** Absolute references under this base URL are made relative (applied first). */
  readonly stripReferenceBaseUrl?: string;
}
