import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AdapterOptions } from './common';

/** Express (connect-style) middleware running every request through a weir policy. */
export declare function weir<Req extends IncomingMessage = IncomingMessage>(
  options: AdapterOptions<Req>,
): (req: Req, res: ServerResponse, next: (err?: unknown) => void) => void;
export default weir;
export type { AdapterOptions, PolicyLike } from './common';
