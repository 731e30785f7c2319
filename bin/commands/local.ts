import { isFhirId, RESOURCE_TYPE_PATTERN } from '../../shared/fhir/ids.js';
import {
  localAdminRequest,
  type LocalHealthLakeResource,
  type LocalHealthLakeSummary,
  type LocalHealthLakeType,
} from '../../shared/operator/localAdmin.js';
import { fail, print, type Command, type CommandContext } from '../cliIo.js';
import { UsageError } from '../usage.js';

const LOCAL_USAGE = 'local needs: healthlake list [<Type>] | healthlake get <Type>/<id>';

/**
 * `hlc local healthlake list [<Type>]` and `hlc local healthlake get <Type>/<id>`: what reached local
 * mode's HealthLake stand-in (which answers only SigV4), read through `/_local/healthlake` with the
 * admin (development) token. Types and ids are checked before they become a path.
 */
export const local: Command = async (context) => {
  const { sub, rest } = context;
  const [action, target, ...extra] = rest;
  if (sub !== 'healthlake' || extra.length > 0) throw new UsageError(LOCAL_USAGE);
  if (action === 'list') {
    if (target !== undefined && !RESOURCE_TYPE_PATTERN.test(target)) {
      throw new UsageError(`"${target.slice(0, 70)}" is not a resource type`);
    }
    return target === undefined ? summary(context) : listType(context, target);
  }
  if (action === 'get' && target !== undefined) {
    const [type = '', id = '', ...more] = target.split('/');
    if (!RESOURCE_TYPE_PATTERN.test(type) || !isFhirId(id) || more.length > 0) {
      throw new UsageError('healthlake get needs <Type>/<id>, e.g. Patient/example');
    }
    return getResource(context, type, id);
  }
  throw new UsageError(LOCAL_USAGE);
};

/** The admin route's answer, or the exit code after saying why it failed. */
const request = async (context: CommandContext, segments: string[]): Promise<unknown> => {
  const { config, io } = context;
  let answer;
  try {
    answer = await localAdminRequest(config.localUrl, ['healthlake', ...segments], config.token);
  } catch (error) {
    io.err(
      `error: local mode does not answer at ${config.localUrl} (${(error as Error).message}); start it with npm start, or pass --local-url / HLC_LOCAL_URL`,
    );
    return 1;
  }
  if (answer.status === 200) return answer.body;
  if (answer.status === 401 || answer.status === 403) {
    io.err(
      `HTTP ${answer.status}: /_local/* needs the development (admin) token npm start printed: set HLC_TOKEN or pass --token`,
    );
    return 1;
  }
  return fail(io, answer.status, answer.body);
};

const summary = async (context: CommandContext): Promise<number> => {
  const body = await request(context, []);
  if (typeof body === 'number') return body;
  const found = body as LocalHealthLakeSummary;
  print(context, found, () => {
    const { io } = context;
    io.out(`HealthLake stand-in ${found.endpoint}: ${found.total} resources`);
    for (const [type, count] of Object.entries(found.types)) io.out(`  ${type.padEnd(28)} ${count}`);
    io.out(`newest requests (${found.recentRequests.length}, oldest first):`);
    for (const seen of found.recentRequests) {
      const detail = [
        seen.versionId === undefined ? '' : `version ${seen.versionId}`,
        seen.bundleEntries === undefined ? '' : `${seen.bundleEntries} entries`,
        seen.fault === undefined ? '' : `fault ${seen.fault}`,
      ].filter(Boolean);
      io.out(
        `  ${seen.time}  ${seen.method.padEnd(6)} ${seen.path}  ${seen.status || 'no answer'}` +
          (detail.length > 0 ? `  (${detail.join(', ')})` : ''),
      );
    }
  });
  return 0;
};

const listType = async (context: CommandContext, type: string): Promise<number> => {
  const body = await request(context, [type]);
  if (typeof body === 'number') return body;
  const found = body as LocalHealthLakeType;
  print(context, found, () => {
    const { io } = context;
    io.out(`${found.resourceType}: ${found.total} in the HealthLake stand-in`);
    for (const resource of found.resources) {
      io.out(`  ${resource.id}  version ${resource.versionId}  ${resource.lastUpdated}`);
    }
    if (found.truncated) io.out(`  ... the first ${found.resources.length} listed`);
  });
  return 0;
};

const getResource = async (context: CommandContext, type: string, id: string): Promise<number> => {
  const body = await request(context, [type, id]);
  if (typeof body === 'number') return body;
  const found = body as LocalHealthLakeResource;
  print(context, found, () => {
    const { io } = context;
    io.out(JSON.stringify(found.resource, null, 2));
    io.out(
      `versions (newest first): ${found.versions
        .map((version) => `${version.versionId}${version.deleted ? ' (deleted)' : ''} ${version.lastUpdated}`)
        .join(', ')}`,
    );
  });
  return 0;
};
