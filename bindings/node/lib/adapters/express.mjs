import adapter from './express.js';

export const weir = adapter.weir;
export default adapter.weir;
