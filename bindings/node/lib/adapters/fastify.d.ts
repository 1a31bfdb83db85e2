import type { IncomingMessage } from 'node:http';
import type { AdapterOptions } from './common';

/** The parts of a Fastify request the plugin reads. */
export interface FastifyRequestLike {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  raw: IncomingMessage;
}

/** A Fastify plugin (hooks onRequest and onResponse) running every request
 * of the instance it is registered on through a weir policy. */
declare function weirPlugin(
  instance: unknown,
  options: AdapterOptions<FastifyRequestLike>,
  done: (err?: Error) => void,
): void;
export { weirPlugin };
export default weirPlugin;
export type { AdapterOptions, PolicyLike } from './common';
