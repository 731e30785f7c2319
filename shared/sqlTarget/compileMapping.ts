import { RESOURCE_TYPE_PATTERN } from '../fhir/ids.js';
import { compileFhirPath, type CompiledFhirPath } from './compileFhirPath.js';
import {
  CHILD_COLUMNS,
  DEFAULT_SQL_SCHEMA,
  isSqlType,
  SQL_IDENTIFIER_PATTERN,
  SQL_TARGET_LIMITS,
  SQL_TYPES,
  TOMBSTONE_TABLE,
  TOP_LEVEL_COLUMNS,
} from './constants.js';
import { MappingError } from './errors.js';
import type {
  CompiledChildTable,
  CompiledColumn,
  CompiledMapping,
  CompiledTable,
  CompiledTransformer,
} from './types.js';

type Fields = Record<string, unknown>;

const isObject = (value: unknown): value is Fields =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const IDENTIFIER_RULE =
  'lower case letters, digits and _, starting with a letter or _, at most 63 characters';
const TOP_LEVEL_RESERVED: ReadonlySet<string> = new Set(Object.values(TOP_LEVEL_COLUMNS));
const CHILD_RESERVED: ReadonlySet<string> = new Set(Object.values(CHILD_COLUMNS));

/** Collects problems while walking a mapping; each is `path: what is wrong`. */
class Problems {
  public readonly list: string[] = [];
  public add(path: string, message: string): void {
    this.list.push(`${path}: ${message}`);
  }
  public keys(path: string, value: Fields, allowed: readonly string[]): void {
    for (const key of Object.keys(value))
      if (!allowed.includes(key))
        this.add(`${path}.${key}`, `unknown property (allowed: ${allowed.join(', ')})`);
  }
  public identifier(path: string, value: unknown): value is string {
    if (typeof value !== 'string') {
      this.add(path, value === undefined ? 'is required' : 'must be a string');
      return false;
    }
    if (!SQL_IDENTIFIER_PATTERN.test(value)) {
      this.add(path, `is not a valid SQL name (${IDENTIFIER_RULE})`);
      return false;
    }
    return true;
  }
  public expression(path: string, value: unknown): CompiledFhirPath | undefined {
    if (typeof value !== 'string') {
      this.add(path, value === undefined ? 'is required (a FHIRPath expression)' : 'must be a string');
      return undefined;
    }
    const compiled = compileFhirPath(value);
    if (typeof compiled === 'string') {
      this.add(path, `FHIRPath expression ${compiled}`);
      return undefined;
    }
    return compiled;
  }
  public array(path: string, value: unknown, required: boolean): readonly unknown[] {
    if (value === undefined) {
      if (required) this.add(path, 'is required (a list)');
      return [];
    }
    if (!Array.isArray(value)) {
      this.add(path, 'must be a list');
      return [];
    }
    return value;
  }
}

/** Mapping-wide state: table names (one resource type per table) and resource types seen. */
interface Seen {
  readonly tables: Map<string, string>;
  readonly resourceTypes: Map<string, string>;
}

const label = (path: string, name: unknown): string =>
  typeof name === 'string' ? `${path} (${name})` : path;

const compileColumns = (
  problems: Problems,
  path: string,
  value: unknown,
  reserved: ReadonlySet<string>,
): CompiledColumn[] => {
  const columns: CompiledColumn[] = [];
  const names = new Map<string, string>();
  problems.array(path, value, false).forEach((column, index) => {
    const at = label(`${path}[${index}]`, isObject(column) ? column.name : undefined);
    if (!isObject(column)) {
      problems.add(at, 'must be an object with name, path and type');
      return;
    }
    problems.keys(at, column, ['name', 'path', 'type']);
    let nameOk = problems.identifier(`${at}.name`, column.name);
    if (nameOk && reserved.has(column.name as string)) {
      problems.add(`${at}.name`, `is a column the connector fills itself (${[...reserved].join(', ')})`);
      nameOk = false;
    }
    if (nameOk) {
      const first = names.get(column.name as string);
      if (first !== undefined) {
        problems.add(`${at}.name`, `duplicates the column at ${first}`);
        nameOk = false;
      } else names.set(column.name as string, at);
    }
    const type = column.type;
    const typeOk = isSqlType(type);
    if (!typeOk)
      problems.add(
        `${at}.type`,
        type === undefined ? 'is required' : `must be one of ${Object.keys(SQL_TYPES).join(', ')}`,
      );
    const compiled = problems.expression(`${at}.path`, column.path);
    if (nameOk && typeOk && compiled) columns.push({ name: column.name as string, type, path: compiled });
  });
  return columns;
};

const claimTable = (problems: Problems, seen: Seen, path: string, name: unknown): name is string => {
  if (!problems.identifier(path, name)) return false;
  if (name === TOMBSTONE_TABLE || name.startsWith('pg_')) {
    problems.add(path, `is reserved (${TOMBSTONE_TABLE} is the connector's own table; pg_ is PostgreSQL's)`);
    return false;
  }
  const first = seen.tables.get(name);
  if (first !== undefined) {
    problems.add(path, `is already used at ${first} (each table holds one resource type, one level)`);
    return false;
  }
  seen.tables.set(name, path);
  return true;
};

const compileChildren = (
  problems: Problems,
  seen: Seen,
  path: string,
  value: unknown,
  parent: CompiledTable,
  depth: number,
): CompiledChildTable[] => {
  const children: CompiledChildTable[] = [];
  const list = problems.array(path, value, false);
  if (list.length > 0 && depth > SQL_TARGET_LIMITS.childDepth) {
    problems.add(path, `child tables nest at most ${SQL_TARGET_LIMITS.childDepth} deep`);
    return children;
  }
  list.forEach((child, index) => {
    const at = label(`${path}[${index}]`, isObject(child) ? child.table : undefined);
    if (!isObject(child)) {
      problems.add(at, 'must be an object with table, forEach and columns');
      return;
    }
    problems.keys(at, child, ['table', 'forEach', 'columns', 'children']);
    const tableOk = claimTable(problems, seen, `${at}.table`, child.table);
    const forEach = problems.expression(`${at}.forEach`, child.forEach);
    const columns = compileColumns(problems, `${at}.columns`, child.columns, CHILD_RESERVED);
    const compiled: { -readonly [K in keyof CompiledChildTable]: CompiledChildTable[K] } = {
      name: child.table as string,
      columns,
      children: [],
      forEach: forEach as CompiledFhirPath,
      parent,
      parentIsTopLevel: depth === 1,
    };
    compiled.children = compileChildren(
      problems,
      seen,
      `${at}.children`,
      child.children,
      compiled,
      depth + 1,
    );
    if (tableOk && forEach) children.push(compiled);
  });
  return children;
};

const descendants = (table: CompiledTable): CompiledChildTable[] =>
  table.children.flatMap((child) => [child, ...descendants(child)]);

const compileTransformer = (
  problems: Problems,
  seen: Seen,
  at: string,
  transformer: Fields,
): CompiledTransformer | undefined => {
  problems.keys(at, transformer, ['resourceType', 'table', 'columns', 'children']);
  const { resourceType } = transformer;
  let typeOk = typeof resourceType === 'string' && RESOURCE_TYPE_PATTERN.test(resourceType);
  if (!typeOk)
    problems.add(
      `${at}.resourceType`,
      resourceType === undefined ? 'is required' : 'is not a FHIR resource type',
    );
  else {
    const first = seen.resourceTypes.get(resourceType as string);
    if (first !== undefined) {
      problems.add(`${at}.resourceType`, `is already mapped at ${first} (one transformer per resource type)`);
      typeOk = false;
    } else seen.resourceTypes.set(resourceType as string, at);
  }
  const tableOk = claimTable(problems, seen, `${at}.table`, transformer.table);
  const compiled: { -readonly [K in keyof CompiledTransformer]: CompiledTransformer[K] } = {
    resourceType: resourceType as string,
    name: transformer.table as string,
    columns: compileColumns(problems, `${at}.columns`, transformer.columns, TOP_LEVEL_RESERVED),
    children: [],
    allChildren: [],
  };
  compiled.children = compileChildren(problems, seen, `${at}.children`, transformer.children, compiled, 1);
  compiled.allChildren = descendants(compiled);
  return typeOk && tableOk ? compiled : undefined;
};

/**
 * Validates a parsed mapping file and compiles its FHIRPath expressions. Reports every problem at once,
 * one line each (`path: what is wrong`), by throwing a MappingError.
 *
 * @example
 * const mapping = compileMapping(parseMappingText(text, 'mapping.yaml'), 'mapping.yaml');
 * mapping.transformers.get('Patient')?.name; // 'patient'
 */
export const compileMapping = (value: unknown, source = 'mapping'): CompiledMapping => {
  const problems = new Problems();
  const seen: Seen = { tables: new Map(), resourceTypes: new Map() };
  const transformers = new Map<string, CompiledTransformer>();
  let schema: string = DEFAULT_SQL_SCHEMA;
  if (!isObject(value)) {
    problems.add('(root)', 'must be an object with a transformers list');
  } else {
    problems.keys('(root)', value, ['schema', 'transformers']);
    if (value.schema !== undefined && problems.identifier('schema', value.schema)) schema = value.schema;
    const list = problems.array('transformers', value.transformers, true);
    if (Array.isArray(value.transformers) && list.length === 0) problems.add('transformers', 'is empty');
    list.forEach((transformer, index) => {
      const at = label(
        `transformers[${index}]`,
        isObject(transformer) ? transformer.resourceType : undefined,
      );
      if (!isObject(transformer)) {
        problems.add(at, 'must be an object with resourceType, table and columns');
        return;
      }
      const compiled = compileTransformer(problems, seen, at, transformer);
      if (compiled) transformers.set(compiled.resourceType, compiled);
    });
  }
  if (problems.list.length > 0) throw new MappingError(source, problems.list);
  return { schema, transformers };
};
