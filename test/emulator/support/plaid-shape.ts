import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import ts from 'typescript';

/**
 * A runtime shape check derived from the `plaid` package's own type declarations: the interfaces,
 * enums and aliases of `dist/api.d.ts` are read with the TypeScript compiler API and a JSON value
 * is checked against one of them — required fields present, no field the type lacks, primitive
 * types, enum values, nullability, arrays and nested objects.
 */
interface Model {
  readonly interfaces: Map<string, ts.InterfaceDeclaration>;
  readonly enums: Map<string, Set<string>>;
  readonly aliases: Map<string, ts.TypeNode>;
}

let model: Model | null = null;

function load(): Model {
  if (model) return model;
  const require = createRequire(import.meta.url);
  const file = join(dirname(require.resolve('plaid/package.json')), 'dist', 'api.d.ts');
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, false);
  const m: Model = { interfaces: new Map(), enums: new Map(), aliases: new Map() };
  for (const st of source.statements) {
    if (ts.isInterfaceDeclaration(st)) m.interfaces.set(st.name.text, st);
    else if (ts.isEnumDeclaration(st)) {
      const values = new Set<string>();
      for (const member of st.members)
        if (member.initializer && ts.isStringLiteral(member.initializer)) values.add(member.initializer.text);
      m.enums.set(st.name.text, values);
    } else if (ts.isTypeAliasDeclaration(st)) m.aliases.set(st.name.text, st.type);
  }
  model = m;
  return m;
}

function propName(name: ts.PropertyName): string {
  if (ts.isIdentifier(name) || ts.isStringLiteral(name) || ts.isNumericLiteral(name)) return name.text;
  return name.getText();
}

function members(m: Model, decl: ts.InterfaceDeclaration): Map<string, ts.PropertySignature> {
  const out = new Map<string, ts.PropertySignature>();
  for (const clause of decl.heritageClauses ?? []) {
    for (const t of clause.types) {
      const base = ts.isIdentifier(t.expression) ? m.interfaces.get(t.expression.text) : undefined;
      if (base) for (const [k, v] of members(m, base)) out.set(k, v);
    }
  }
  for (const member of decl.members)
    if (ts.isPropertySignature(member) && member.name) out.set(propName(member.name), member);
  return out;
}

function describe(value: unknown): string {
  return value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value;
}

function checkNode(m: Model, value: unknown, node: ts.TypeNode, path: string, errors: string[]): void {
  switch (node.kind) {
    case ts.SyntaxKind.StringKeyword:
      if (typeof value !== 'string') errors.push(`${path}: expected string, got ${describe(value)}`);
      return;
    case ts.SyntaxKind.NumberKeyword:
      if (typeof value !== 'number') errors.push(`${path}: expected number, got ${describe(value)}`);
      return;
    case ts.SyntaxKind.BooleanKeyword:
      if (typeof value !== 'boolean') errors.push(`${path}: expected boolean, got ${describe(value)}`);
      return;
    case ts.SyntaxKind.AnyKeyword:
    case ts.SyntaxKind.UnknownKeyword:
      return;
    case ts.SyntaxKind.ObjectKeyword:
      if (typeof value !== 'object' || value === null) errors.push(`${path}: expected object`);
      return;
  }
  if (ts.isParenthesizedTypeNode(node)) return checkNode(m, value, node.type, path, errors);
  if (ts.isLiteralTypeNode(node)) {
    if (node.literal.kind === ts.SyntaxKind.NullKeyword) {
      if (value !== null) errors.push(`${path}: expected null, got ${describe(value)}`);
    } else if (ts.isStringLiteral(node.literal) && value !== node.literal.text) {
      errors.push(`${path}: expected "${node.literal.text}"`);
    }
    return;
  }
  if (ts.isUnionTypeNode(node)) {
    const attempts = node.types.map((t) => {
      const e: string[] = [];
      checkNode(m, value, t, path, e);
      return e;
    });
    if (!attempts.some((e) => e.length === 0)) {
      errors.push(...(attempts.filter((e) => e.length > 0).sort((a, b) => a.length - b.length)[0] ?? []));
    }
    return;
  }
  if (ts.isIntersectionTypeNode(node)) {
    for (const t of node.types) checkNode(m, value, t, path, errors);
    return;
  }
  if (ts.isArrayTypeNode(node)) {
    if (!Array.isArray(value)) errors.push(`${path}: expected array, got ${describe(value)}`);
    else value.forEach((v, i) => checkNode(m, v, node.elementType, `${path}[${i}]`, errors));
    return;
  }
  if (ts.isTypeLiteralNode(node)) {
    if (typeof value !== 'object' || value === null)
      errors.push(`${path}: expected object, got ${describe(value)}`);
    return;
  }
  if (ts.isTypeReferenceNode(node)) {
    const name = ts.isIdentifier(node.typeName) ? node.typeName.text : node.typeName.getText();
    if (name === 'Array' && node.typeArguments?.[0]) {
      const element = node.typeArguments[0];
      if (!Array.isArray(value)) errors.push(`${path}: expected array, got ${describe(value)}`);
      else value.forEach((v, i) => checkNode(m, v, element, `${path}[${i}]`, errors));
      return;
    }
    checkNamed(m, value, name, path, errors);
    return;
  }
  errors.push(`${path}: unsupported type node ${ts.SyntaxKind[node.kind]}`);
}

function checkNamed(m: Model, value: unknown, name: string, path: string, errors: string[]): void {
  const enumValues = m.enums.get(name);
  if (enumValues) {
    if (typeof value !== 'string' || !enumValues.has(value))
      errors.push(`${path}: ${JSON.stringify(value)} is not a ${name}`);
    return;
  }
  const alias = m.aliases.get(name);
  if (alias) return checkNode(m, value, alias, path, errors);
  const decl = m.interfaces.get(name);
  if (!decl) {
    errors.push(`${path}: unknown type ${name}`);
    return;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    errors.push(`${path}: expected ${name} object, got ${describe(value)}`);
    return;
  }
  const props = members(m, decl);
  const record = value as Record<string, unknown>;
  for (const [key, prop] of props) {
    if (!(key in record)) {
      if (!prop.questionToken) errors.push(`${path}.${key}: required by ${name} but missing`);
      continue;
    }
    if (prop.type) checkNode(m, record[key], prop.type, `${path}.${key}`, errors);
  }
  for (const key of Object.keys(record))
    if (!props.has(key)) errors.push(`${path}.${key}: not a field of ${name}`);
}

/** Shape errors of `value` against the plaid type `typeName` (empty when it conforms). */
export function shapeErrors(value: unknown, typeName: string): string[] {
  const errors: string[] = [];
  checkNamed(load(), value, typeName, typeName, errors);
  return errors;
}

/** The request fields a plaid request interface declares (for the validation tests). */
export function declaredFields(typeName: string): string[] {
  const m = load();
  const decl = m.interfaces.get(typeName);
  if (!decl) throw new Error(`unknown type ${typeName}`);
  return [...members(m, decl).keys()];
}
