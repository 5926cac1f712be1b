// npm run lint:openapi: lints the document the service serves (GET /api/docs-json) with Redocly's
// recommended rules (test/openapi/.redocly.yaml). Any error or warning fails it.
import { fetchServedDocument, lint, withTemporary } from './document';

async function main(): Promise<void> {
  const { errors, warnings, problems } = withTemporary(await fetchServedDocument(), lint);
  for (const p of problems)
    console.log(
      `${p.severity.padEnd(5)} ${p.ruleId.padEnd(28)} ${p.location[0]?.pointer ?? ''}  ${p.message}`,
    );
  console.log(
    `redocly lint (recommended) of the served OpenAPI document: ${errors} errors, ${warnings} warnings`,
  );
  if (errors > 0 || warnings > 0) process.exit(1);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
