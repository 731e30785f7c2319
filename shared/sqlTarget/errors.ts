/**
 * Errors of the SQL target. Messages name tables, columns, resource type/id and SQLSTATE codes, never
 * a value: they go to logs and dead-letter causes, and resource content is PHI.
 */
export class SqlTargetError extends Error {
  /** True when retrying cannot help (the resource or the mapping is at fault, not the database's state). */
  public readonly terminal: boolean;
  public constructor(message: string, options: { terminal: boolean; cause?: unknown }) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'SqlTargetError';
    this.terminal = options.terminal;
  }
}

/** A mapping file that cannot be used; `problems` has one line per problem (path: what is wrong). */
export class MappingError extends SqlTargetError {
  public constructor(
    public readonly source: string,
    public readonly problems: readonly string[],
  ) {
    super(`${source} is not a valid SQL mapping:\n  - ${problems.join('\n  - ')}`, { terminal: true });
    this.name = 'MappingError';
  }
}

/** Where in the database a resource's value was to go. */
export interface ValueLocation {
  readonly table: string;
  /** Absent for a child table's `forEach`. */
  readonly column?: string;
  readonly resourceType: string;
  readonly id: string;
}

const describe = (where: ValueLocation): string =>
  `${where.column === undefined ? 'forEach' : `column "${where.column}"`} of table "${where.table}" for ${where.resourceType}/${where.id}`;

/** A mapped value that its column cannot hold (wrong kind, out of range, not a calendar date...). */
export class ValueDoesNotFitError extends SqlTargetError {
  public constructor(
    public readonly where: ValueLocation,
    /** What is wrong, never the value: e.g. `a Quantity does not fit a numeric column`. */
    public readonly reason: string,
  ) {
    super(`The value of ${describe(where)} does not fit: ${reason}`, { terminal: true });
    this.name = 'ValueDoesNotFitError';
  }
}

/**
 * A FHIRPath expression of the mapping failed on one resource. The engine's error is not kept (not even
 * as `cause`, which loggers print): it may quote data.
 */
export class FhirPathEvaluationError extends SqlTargetError {
  public constructor(public readonly where: ValueLocation) {
    super(`The FHIRPath expression of ${describe(where)} failed to evaluate`, { terminal: true });
    this.name = 'FhirPathEvaluationError';
  }
}

/** The database refused a statement, or could not be reached. */
export class SqlWriteError extends SqlTargetError {
  public constructor(
    message: string,
    options: {
      terminal: boolean;
      readonly sqlState?: string;
      readonly table?: string;
      readonly column?: string;
      readonly constraint?: string;
      cause?: unknown;
    },
  ) {
    super(message, options);
    this.name = 'SqlWriteError';
    this.sqlState = options.sqlState;
    this.table = options.table;
    this.column = options.column;
    this.constraint = options.constraint;
  }
  public readonly sqlState: string | undefined;
  public readonly table: string | undefined;
  public readonly column: string | undefined;
  public readonly constraint: string | undefined;
}

/** The database lacks tables or columns the mapping needs, or has them with other types. */
export class SchemaMismatchError extends SqlTargetError {
  public constructor(public readonly problems: readonly string[]) {
    super(
      `The database schema does not match the SQL mapping (run \`hlc sql schema\` for the DDL):\n  - ${problems.join('\n  - ')}`,
      { terminal: false },
    );
    this.name = 'SchemaMismatchError';
  }
}
