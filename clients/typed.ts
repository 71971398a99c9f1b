// Compiled under tsc --strict with the generated code: a storefront's use
// of the typed documents, so a schema change that breaks generated types
// fails the suite.
import { ProductListDocument, type ProductListQuery, type CartLinesAddMutationVariables } from './gen/graphql';

export const listDocument = ProductListDocument;

export function firstPrice(q: ProductListQuery): string | undefined {
  return q.products.edges?.[0]?.node?.variants[0]?.price.amount;
}

export const add: CartLinesAddMutationVariables = { cartId: 'c', lines: [{ variantId: 'v', quantity: 1 }] };
