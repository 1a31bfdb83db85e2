import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AdapterOptions } from './common';

/** The parts of a Koa context the middleware uses. */
export interface KoaContextLike {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  req: IncomingMessage;
  res: ServerResponse;
  state: Record<string, unknown>;
  status: number;
  body: unknown;
  set(headers: Record<string, string | number>): void;
}

/** Koa middleware running every request through a weir policy. */
export declare function weir<Ctx extends KoaContextLike = KoaContextLike>(
  options: AdapterOptions<Ctx>,
): (ctx: Ctx, next: () => Promise<unknown>) => Promise<unknown>;
export default weir;
export type { AdapterOptions, PolicyLike } from './common';
