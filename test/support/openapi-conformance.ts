// Checks real answers against the OpenAPI document the service serves: the status must be documented
// for the operation, the media type declared for that status, and a JSON body must match the schema.
// Objects are closed: a member the schema does not name is an error (unless additionalProperties
// allows it), so an answer cannot carry undocumented data. Covers the OpenAPI 3.0 schema subset the
// document uses: $ref, allOf, anyOf, oneOf, nullable, type, enum, format, required, properties,
// additionalProperties, items.

type Schema = {
  $ref?: string;
  allOf?: Schema[];
  anyOf?: Schema[];
  oneOf?: Schema[];
  nullable?: boolean;
  type?: 'object' | 'array' | 'string' | 'integer' | 'number' | 'boolean';
  enum?: unknown[];
  format?: string;
  required?: string[];
  properties?: Record<string, Schema>;
  additionalProperties?: boolean | Schema;
  items?: Schema;
};

type Response = { content?: Record<string, { schema?: Schema }> };
type Operation = { responses: Record<string, Response> };
export type OpenApiDocument = {
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, Schema> };
};

const FORMATS: Record<string, RegExp> = {
  'date-time': /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/,
  date: /^\d{4}-\d{2}-\d{2}$/,
  uuid: /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i,
  uri: /^[a-z][a-z0-9+.-]*:/i,
};

export class Conformance {
  constructor(private readonly doc: OpenApiDocument) {}

  private resolve(schema: Schema): Schema {
    let s = schema;
    for (let hops = 0; s.$ref; hops++) {
      if (hops > 20 || !s.$ref.startsWith('#/components/schemas/'))
        throw new Error(`unresolvable $ref ${s.$ref}`);
      const target = this.doc.components.schemas[s.$ref.slice('#/components/schemas/'.length)];
      if (!target) throw new Error(`unresolvable $ref ${s.$ref}`);
      s = target;
    }
    return s;
  }

  /** Every member name a schema (with its allOf parts) declares; undefined when it allows any. */
  private declared(schema: Schema): Set<string> | undefined {
    const s = this.resolve(schema);
    if (s.additionalProperties !== undefined && s.additionalProperties !== false) return undefined;
    const names = new Set(Object.keys(s.properties ?? {}));
    for (const part of s.allOf ?? []) {
      const inner = this.declared(part);
      if (!inner) return undefined;
      inner.forEach((n) => names.add(n));
    }
    return names;
  }

  /** The problems of a value against a schema (empty when it conforms). */
  validate(value: unknown, schema: Schema, at = '$', closed = true): string[] {
    const s = this.resolve(schema);
    if (value === null) return s.nullable ? [] : [`${at}: null, but the schema is not nullable`];
    const errors: string[] = [];
    if (s.allOf) {
      // The parts together describe one object: members are closed over all of them, not each.
      const names = this.declared(s);
      for (const part of s.allOf) errors.push(...this.validate(value, part, at, false));
      if (closed && names && isObject(value))
        for (const k of Object.keys(value)) if (!names.has(k)) errors.push(`${at}.${k}: not in the document`);
    }
    if (s.anyOf && !s.anyOf.some((option) => this.validate(value, option, at, closed).length === 0))
      errors.push(
        `${at}: matches none of anyOf (${s.anyOf.map((o) => this.validate(value, o, at, closed)[0]).join(' | ')})`,
      );
    if (
      s.oneOf &&
      s.oneOf.filter((option) => this.validate(value, option, at, closed).length === 0).length !== 1
    )
      errors.push(`${at}: does not match exactly one of oneOf`);
    if (s.enum && !s.enum.includes(value))
      errors.push(`${at}: ${JSON.stringify(value)} is not one of ${JSON.stringify(s.enum)}`);
    switch (s.type) {
      case undefined:
        break;
      case 'object': {
        if (!isObject(value)) return [...errors, `${at}: expected an object`];
        for (const name of s.required ?? [])
          if (!(name in value)) errors.push(`${at}.${name}: required, but missing`);
        for (const [k, v] of Object.entries(value)) {
          const prop = s.properties?.[k];
          if (prop) errors.push(...this.validate(v, prop, `${at}.${k}`));
          else if (typeof s.additionalProperties === 'object')
            errors.push(...this.validate(v, s.additionalProperties, `${at}.${k}`));
          else if (closed && !s.allOf && s.additionalProperties !== true)
            errors.push(`${at}.${k}: not in the document`);
        }
        break;
      }
      case 'array':
        if (!Array.isArray(value)) return [...errors, `${at}: expected an array`];
        value.forEach((v, i) => errors.push(...this.validate(v, s.items ?? {}, `${at}[${i}]`)));
        break;
      case 'string':
        if (typeof value !== 'string')
          return [...errors, `${at}: expected a string, got ${JSON.stringify(value)}`];
        if (s.format && FORMATS[s.format] && !FORMATS[s.format]!.test(value))
          errors.push(`${at}: ${JSON.stringify(value)} is not a ${s.format}`);
        break;
      case 'integer':
        if (!Number.isInteger(value)) errors.push(`${at}: expected an integer, got ${JSON.stringify(value)}`);
        break;
      case 'number':
        if (typeof value !== 'number') errors.push(`${at}: expected a number, got ${JSON.stringify(value)}`);
        break;
      case 'boolean':
        if (typeof value !== 'boolean')
          errors.push(`${at}: expected a boolean, got ${JSON.stringify(value)}`);
        break;
    }
    return errors;
  }

  /**
   * The problems of one answer of `method path` (the path as in the document, with `{id}`): the
   * status must be documented, the media type declared, and a JSON body must match its schema.
   */
  check(method: string, path: string, status: number, contentType: string | null, body: string): string[] {
    const op = this.doc.paths[path]?.[method.toLowerCase()];
    const where = `${method.toUpperCase()} ${path} → ${status}`;
    if (!op) return [`${where}: no such operation in the document`];
    const response = op.responses[String(status)];
    if (!response)
      return [`${where}: status not documented (documented: ${Object.keys(op.responses).join(', ')})`];
    if (!response.content) return body.length ? [`${where}: a body where the document promises none`] : [];
    const media = contentType?.split(';')[0]!.trim() ?? '';
    const declared = response.content[media];
    if (!declared)
      return [
        `${where}: media type ${media || '(none)'} not declared (declared: ${Object.keys(response.content).join(', ')})`,
      ];
    if (!/json$/.test(media) || !declared.schema) return [];
    let value: unknown;
    try {
      value = JSON.parse(body);
    } catch {
      return [`${where}: the body is not JSON`];
    }
    return this.validate(value, declared.schema).map((e) => `${where}: ${e}`);
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
