// npm run openapi:types: regenerates test/client/openapi.d.ts with openapi-typescript from the document
// the service serves (GET /api/docs-json). test/generated-client.e2e-spec.ts fails when they differ.
import { relative } from 'node:path';
import { fetchServedDocument, generateTypes, ROOT, TYPES_FILE, withTemporary } from './document';

async function main(): Promise<void> {
  withTemporary(await fetchServedDocument(), (file) => generateTypes(file, TYPES_FILE));
  console.log(`wrote ${relative(ROOT, TYPES_FILE)}`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
