import { createServer } from 'node:net';
import { LOCAL_OPTIONS, LocalConfigError, type LocalConfig, type LocalOptionName } from './config.js';

/** The fixed ports of a configuration (0 = any free port, never checked), with the option that sets each. */
const fixedPorts = (config: LocalConfig): { option: LocalOptionName; port: number }[] => {
  const ports: { option: LocalOptionName; port: number }[] = [{ option: 'apiPort', port: config.apiPort }];
  if (!config.healthLakeEndpoint) ports.push({ option: 'healthLakePort', port: config.healthLakePort });
  if (!config.sourceFhirBaseUrl && config.sourceStandin)
    ports.push({ option: 'sourcePort', port: config.sourcePort });
  return ports.filter(({ port }) => port !== 0);
};

/** What to tell a user whose port is taken: the port, and the flag and variable that choose another. */
export const portInUseMessage = (option: LocalOptionName, host: string, port: number): string => {
  const { flag, env } = LOCAL_OPTIONS[option];
  return (
    `port ${port} on ${host} is already in use (another npm start?): stop that process, or choose ` +
    `another port with --${flag} / ${env} (0 = any free port)`
  );
};

const isFree = (host: string, port: number): Promise<boolean> =>
  new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EADDRINUSE') resolve(false);
      else reject(error);
    });
    probe.listen({ host, port, exclusive: true }, () => probe.close(() => resolve(true)));
  });

/**
 * Checks, before anything starts, that every fixed port local mode will listen on is free, and fails
 * with one message naming each taken port's option. A port taken between this check and the listen
 * still fails, with the same message (`listenError`).
 */
export const checkLocalPorts = async (config: LocalConfig): Promise<void> => {
  const taken: string[] = [];
  for (const { option, port } of fixedPorts(config)) {
    if (!(await isFree(config.host, port))) taken.push(portInUseMessage(option, config.host, port));
  }
  if (taken.length > 0) throw new LocalConfigError(taken.join('; '));
};

/** An `EADDRINUSE` from a listen, turned into `portInUseMessage`; anything else unchanged. */
export const listenError = (error: unknown, option: LocalOptionName, host: string, port: number): unknown =>
  (error as NodeJS.ErrnoException | undefined)?.code === 'EADDRINUSE'
    ? new LocalConfigError(portInUseMessage(option, host, port))
    : error;
