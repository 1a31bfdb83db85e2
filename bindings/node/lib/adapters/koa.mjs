import adapter from './koa.js';

export const weir = adapter.weir;
export default adapter.weir;
