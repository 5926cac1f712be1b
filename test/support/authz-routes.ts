import type { INestApplication } from '@nestjs/common';
import { RequestMethod } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA, ROUTE_ARGS_METADATA } from '@nestjs/common/constants';
import { RouteParamtypes } from '@nestjs/common/enums/route-paramtypes.enum';
import { DiscoveryService, MetadataScanner, ModulesContainer, Reflector } from '@nestjs/core';

export type RouteInput = 'body' | 'query' | 'param' | 'headers' | 'request';

export interface DiscoveredRoute {
  /** `METHOD /full/path/:param`, the key of test/authz-table.ts. */
  key: string;
  method: string;
  path: string;
  controller: string;
  handler: string;
  /** What the handler reads from the request (from its parameter decorators). */
  inputs: Set<RouteInput>;
}

interface PrefixExclusion {
  path: string;
  requestMethod: RequestMethod;
  pathRegex?: RegExp;
}

const trimSlashes = (p: string) => p.replace(/^\/+|\/+$/g, '');
const join = (...parts: string[]) => '/' + parts.map(trimSlashes).filter(Boolean).join('/');

const INPUT_OF: Partial<Record<number, RouteInput>> = {
  [RouteParamtypes.BODY]: 'body',
  [RouteParamtypes.QUERY]: 'query',
  [RouteParamtypes.PARAM]: 'param',
  [RouteParamtypes.HEADERS]: 'headers',
  [RouteParamtypes.REQUEST]: 'request',
};

/**
 * The application's own route table, read from Nest's metadata the way the router builds it:
 * every controller method with a path and a method, the global prefix applied except where the
 * application excluded a route from it (the exclusions are read from the running application, so
 * they are exactly those of src/app.factory.ts).
 */
export function discoverNestRoutes(app: INestApplication): DiscoveredRoute[] {
  const discovery = new DiscoveryService(app.get(ModulesContainer));
  const scanner = new MetadataScanner();
  const reflector = new Reflector();
  const config = (
    app as unknown as {
      config: { getGlobalPrefix(): string; getGlobalPrefixOptions(): { exclude?: PrefixExclusion[] } };
    }
  ).config;
  const prefix = config.getGlobalPrefix();
  const exclusions = config.getGlobalPrefixOptions().exclude ?? [];
  const excluded = (method: RequestMethod, path: string) =>
    exclusions.some(
      (e) =>
        (e.requestMethod === method || e.requestMethod === RequestMethod.ALL) &&
        (e.pathRegex ? e.pathRegex.test(path) : trimSlashes(e.path) === trimSlashes(path)),
    );

  const routes: DiscoveredRoute[] = [];
  for (const wrapper of discovery.getControllers()) {
    const { instance, metatype } = wrapper;
    if (!instance || !metatype) continue;
    const controllerPaths = ([] as string[]).concat(
      reflector.get<string | string[]>(PATH_METADATA, metatype) ?? '/',
    );
    const proto = Object.getPrototypeOf(instance) as Record<string, unknown>;
    for (const name of scanner.getAllMethodNames(proto)) {
      const handler = proto[name] as object;
      const methodPaths = reflector.get<string | string[] | undefined>(PATH_METADATA, handler as never);
      if (methodPaths === undefined) continue;
      const method = reflector.get<RequestMethod>(METHOD_METADATA, handler as never);
      const args = (Reflect.getMetadata(ROUTE_ARGS_METADATA, metatype, name) ?? {}) as Record<
        string,
        unknown
      >;
      const inputs = new Set<RouteInput>();
      for (const k of Object.keys(args)) {
        const input = INPUT_OF[Number(k.split(':')[0])];
        if (input) inputs.add(input);
      }
      for (const c of controllerPaths) {
        for (const m of ([] as string[]).concat(methodPaths)) {
          const bare = join(c, m);
          const path = prefix && !excluded(method, bare) ? join(prefix, bare) : bare;
          const verb = RequestMethod[method];
          routes.push({
            key: `${verb} ${path}`,
            method: verb,
            path,
            controller: metatype.name,
            handler: name,
            inputs,
          });
        }
      }
    }
  }
  return routes;
}

/**
 * Every `METHOD /path` the Express 5 router serves with a route. Middleware layers are left out:
 * `use()` layers have no route, and Nest binds route-scoped middleware (the request logger on
 * `{*path}`) with `all()`, which Express registers as one route for every known method; an
 * endpoint is a route for one method (an `@All()` handler would show up in the Nest metadata).
 */
export function expressRoutes(app: INestApplication): string[] {
  const instance = app.getHttpAdapter().getInstance() as {
    router: { stack: { route?: { path: string | string[]; methods: Record<string, boolean> } }[] };
  };
  const out: string[] = [];
  for (const layer of instance.router.stack) {
    if (!layer.route) continue;
    const methods = Object.keys(layer.route.methods);
    if (methods.includes('_all') || methods.length > 5) continue;
    for (const method of methods) {
      if (method === '_all') continue;
      for (const path of ([] as string[]).concat(layer.route.path))
        out.push(`${method.toUpperCase()} ${path}`);
    }
  }
  return out;
}
