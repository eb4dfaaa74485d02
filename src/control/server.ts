import { chmod, rm } from 'node:fs/promises';
import Fastify from 'fastify';
import { isAdminCommandName, runAdminCommand, type AdminServices } from '../domain/admin/commands.js';
import { isAppError } from '../errors/app-error.js';
import { errors } from '../errors/catalog.js';
import type { Logger } from '../lib/logger.js';

/**
 * The embedded service's control channel: a Unix socket in DATA_DIR (mode 0600, so only the owner of
 * the data can use it) that runs operator commands while the service holds the embedded database.
 */
export async function startControlServer(
  socketPath: string,
  /** The app's services; with its access-token cipher, `keys.reencrypt` runs in this process too. */
  services: AdminServices,
  logger: Logger,
): Promise<{ close(): Promise<unknown> }> {
  const control = Fastify({ loggerInstance: logger.child({ component: 'control' }) });
  control.post<{ Params: { name: string } }>('/commands/:name', async (request, reply) => {
    const { name } = request.params;
    try {
      if (!isAdminCommandName(name)) throw errors.unknownCommand(name);
      return { result: await runAdminCommand(services, name, request.body ?? {}) };
    } catch (error) {
      if (isAppError(error)) {
        return reply
          .code(error.status)
          .send({ code: error.code, detail: error.detail, errors: error.extra.errors });
      }
      request.log.error({ err: error }, 'control command failed');
      return reply
        .code(500)
        .send({ code: 'INTERNAL_ERROR', detail: 'the command failed; see the service log' });
    }
  });
  await rm(socketPath, { force: true });
  await control.listen({ path: socketPath });
  await chmod(socketPath, 0o600);
  return control;
}
