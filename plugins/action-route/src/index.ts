import { definePlugin } from '@portcullis/core';
import { routeAction } from './route-action.js';

export { routeAction };
export { routeTarget, type RouteTarget } from './route-target.js';
export type { RouteOptions } from './options.js';

/** `@portcullis/action-route`: the `route` action. */
export default definePlugin({ name: '@portcullis/action-route', actions: [routeAction] });
