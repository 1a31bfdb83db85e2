import weirPlugin from './fastify.js';

export { weirPlugin };
export default weirPlugin;
