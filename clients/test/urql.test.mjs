// urql with graphcache: the keys a normalized cache needs for the value
// types without IDs. README "Connecting a client" quotes these keys.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { buildSchema, isObjectType } from 'graphql';
import { Client, fetchExchange } from '@urql/core';
import { cacheExchange } from '@urql/exchange-graphcache';
import { relayPagination } from '@urql/exchange-graphcache/extras';
import { op } from './contract.mjs';
import { endpoint, someVariants, warnings } from './server.mjs';

const schemaDir = new URL('../../graph/', import.meta.url);

// urql-config:start
// graphcache normalizes every object with an id; the others (Money,
// PriceRange, PageInfo, payloads…) are embedded in their parent, which
// graphcache must be told, type by type. Derive the list from the schema.
const schema = buildSchema(readdirSync(schemaDir).filter((f) => f.endsWith('.graphql'))
  .map((f) => readFileSync(new URL(f, schemaDir), 'utf8')).join('\n'));
const keys = Object.fromEntries(Object.values(schema.getTypeMap())
  .filter((t) => isObjectType(t) && !t.name.startsWith('__') && !t.getFields().id)
  .map((t) => [t.name, () => null]));
function newClient() {
  return new Client({
    url: endpoint,
    exchanges: [
      cacheExchange({ keys, resolvers: { Query: { products: relayPagination() } } }),
      fetchExchange,
    ],
  });
}
// urql-config:end

test('urql graphcache: a cart mutation updates the cached cart', async () => {
  const client = newClient();
  const [a] = await someVariants(1);
  const seen = await warnings(async () => {
    const list = await client.query(op('ProductList'), { first: 3 }).toPromise();
    assert.equal(list.error, undefined);
    assert.equal(list.data.products.edges.length, 3);
    const created = await client.mutation(op('CartCreate'), { lines: [{ variantId: a, quantity: 1 }] }).toPromise();
    assert.equal(created.error, undefined);
    const id = created.data.cartCreate.cart.id;
    const before = await client.query(op('Cart'), { id }).toPromise();
    assert.equal(before.data.cart.totalQuantity, 1);
    const added = await client.mutation(op('CartLinesAdd'), { cartId: id, lines: [{ variantId: a, quantity: 2 }] }).toPromise();
    assert.equal(added.error, undefined);
    const after = await client.query(op('Cart'), { id }, { requestPolicy: 'cache-only' }).toPromise();
    assert.equal(after.data.cart.totalQuantity, 3, 'the cached cart follows the mutation');
  });
  assert.deepEqual(seen, [], 'graphcache printed no warnings');
});
