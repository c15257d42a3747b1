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
      return jsonSchemaTransform(hidden ? { ...input, schema: { ...input.schema, hide: true } } : input);
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
