// OpenAPI for a process's public REST API, generated from the routes' zod schemas: /openapi.json and a
// browsable /docs (swagger-ui, served from the package's own files: no CDN). /internal/* routes are hidden.
// Register before any route: @fastify/swagger collects routes as they are declared.
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import { jsonSchemaTransform } from 'fastify-type-provider-zod';
import { VERSION } from './service-app.ts';

export interface OpenApiOptions {
  title: string;
  description: string;
}

type TransformInput = Parameters<typeof jsonSchemaTransform>[0];

/**
 * Every route answers its errors in the one body of lib/errors.ts. Described once, as each operation's `default`
 * response, so a client generated from the document knows the shape of a 400, 401, 404 or 429 too.
 */
const ERROR_RESPONSE = {
  description: 'An error: a sentence to act on, a stable code, and sometimes details (400 lists the fields at fault)',
  type: 'object',
  properties: { error: { type: 'string' }, code: { type: 'string' }, details: {} },
  required: ['error', 'code'],
};

export async function registerOpenApi(app: FastifyInstance, o: OpenApiOptions): Promise<void> {
  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: { title: o.title, description: o.description, version: VERSION },
      components: {
        securitySchemes: {
          bearer: { type: 'http', scheme: 'bearer', description: 'An elk_ API token or a session JWT' },
        },
      },
      security: [{ bearer: [] }],
    },
    transform: (input: TransformInput) => {
      const hidden = input.url.startsWith('/internal/') || input.url === '/openapi.json' || input.url.startsWith('/docs');
      if (hidden) return jsonSchemaTransform({ ...input, schema: { ...input.schema, hide: true } });
      const out = jsonSchemaTransform(input);
      // A route without a response schema keeps the 200 that @fastify/swagger would otherwise give it.
      // A route may declare no schema at all.
      const schema = (out.schema ?? {}) as Record<string, unknown>;
      const response = (schema.response as Record<string, unknown> | undefined) ?? { 200: { description: 'Default Response' } };
      return { ...out, schema: { ...schema, response: { ...response, default: ERROR_RESPONSE } } };
    },
  });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  await app.register(swaggerUi, {
    routePrefix: '/docs',
    uiConfig: { docExpansion: 'list', deepLinking: true },
    staticCSP: true,
    // The page reads the same document as /openapi.json.
    transformSpecificationClone: true,
  });
}
