// What every test needs from the running server: its URL and accounts.
import assert from 'node:assert/strict';
import { print } from 'graphql';
import { op } from './contract.mjs';

export const url = process.env.SAVANNAH_URL ?? 'http://127.0.0.1:8080';
export const endpoint = `${url}/graphql`;
export const wsEndpoint = endpoint.replace(/^http/, 'ws');

/** post sends one operation with fetch and returns the parsed body. */
export async function post(document, variables = {}, token) {
  const headers = { 'content-type': 'application/json', accept: 'application/graphql-response+json' };
  if (token) headers.authorization = `Bearer ${token}`;
  const query = typeof document === 'string' ? document : print(document);
  const res = await fetch(endpoint, { method: 'POST', headers, body: JSON.stringify({ query, variables }) });
  return res.json();
}

/** login signs in and returns the access token. */
export async function login(email, password) {
  const body = await post(op('Login'), { email, password });
  assert.deepEqual(body.data?.login?.userErrors ?? [], [], JSON.stringify(body));
  return body.data.login.token.accessToken;
}

export const admin = () => login(process.env.SAVANNAH_ADMIN_EMAIL, process.env.SAVANNAH_ADMIN_PASSWORD);

let seq = 0;
/** customer registers a new customer and returns its access token. */
export async function customer() {
  const email = `client-${process.pid}-${Date.now()}-${seq++}@example.com`;
  const body = await post(op('Register'), {
    input: { email, password: 'a-long-client-password', name: 'Client Suite', phone: '+254712345678' },
  });
  assert.deepEqual(body.data?.register?.userErrors ?? [], [], JSON.stringify(body));
  return login(email, 'a-long-client-password');
}

/** someVariants returns n purchasable variant IDs of the demo store. */
export async function someVariants(n) {
  const body = await post(op('ProductList'), { first: 20 });
  const ids = body.data.products.edges.flatMap((e) => e.node.variants)
    .filter((v) => v.quantityAvailable >= 5).map((v) => v.id);
  assert.ok(ids.length >= n, `the demo store has ${n} variants in stock`);
  return ids.slice(0, n);
}

/** warnings collects what a client library prints through console while fn runs. */
export async function warnings(fn) {
  const seen = [];
  const saved = { warn: console.warn, error: console.error };
  console.warn = (...a) => seen.push(a.join(' '));
  console.error = (...a) => seen.push(a.join(' '));
  try {
    await fn();
  } finally {
    Object.assign(console, saved);
  }
  return seen;
}
