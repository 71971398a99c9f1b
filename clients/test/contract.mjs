// The contract's operations, taken by name from the committed .graphql
// files with just the fragments each one uses, so the suite sends exactly
// what a storefront or dashboard built from the contract sends.
import { readFileSync } from 'node:fs';
import { parse, visit, Kind } from 'graphql';

const files = ['storefront.graphql', 'admin.graphql', 'cart-shipping.graphql'].map((f) =>
  parse(readFileSync(new URL(`../../graph/testdata/contract/${f}`, import.meta.url), 'utf8')));

const fragments = new Map();
const operations = new Map();
for (const doc of files) {
  for (const def of doc.definitions) {
    if (def.kind === Kind.FRAGMENT_DEFINITION) fragments.set(def.name.value, def);
    if (def.kind === Kind.OPERATION_DEFINITION) operations.set(def.name.value, def);
  }
}

function spreads(node, seen) {
  visit(node, {
    FragmentSpread(s) {
      const name = s.name.value;
      if (seen.has(name)) return;
      seen.add(name);
      spreads(fragments.get(name), seen);
    },
  });
  return seen;
}

/** op returns the document of the contract operation named name. */
export function op(name) {
  const def = operations.get(name);
  if (!def) throw new Error(`no contract operation ${name}`);
  return {
    kind: Kind.DOCUMENT,
    definitions: [def, ...[...spreads(def, new Set())].map((f) => fragments.get(f))],
  };
}
