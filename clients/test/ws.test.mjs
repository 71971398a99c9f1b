// graphql-ws 6 (the client Apollo, urql and GraphiQL use for subscriptions)
// and the graphql-transport-ws protocol spoken byte by byte, against the
// real server: every operation completes once, each close code, keep-alive,
// and one event per change.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { print } from 'graphql';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { op } from './contract.mjs';
import { admin, customer, post, someVariants, wsEndpoint } from './server.mjs';

// raw opens a graphql-transport-ws socket and records every message and
// the close code.
function raw() {
  const ws = new WebSocket(wsEndpoint, 'graphql-transport-ws');
  const s = { ws, messages: [], closed: null };
  s.opened = new Promise((resolve, reject) => { ws.once('open', resolve); ws.once('error', reject); });
  s.closedP = new Promise((resolve) => ws.once('close', (code, reason) => { s.closed = { code, reason: String(reason) }; resolve(s.closed); }));
  ws.on('message', (data) => {
    const msg = JSON.parse(String(data));
    s.messages.push(msg);
    for (const w of [...(s.waiters ?? [])]) if (w.match(msg)) { s.waiters.splice(s.waiters.indexOf(w), 1); w.resolve(msg); }
  });
  s.send = (m) => ws.send(typeof m === 'string' ? m : JSON.stringify(m));
  s.next = (match) => {
    const seen = s.messages.find(match);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve) => { (s.waiters ??= []).push({ match, resolve }); });
  };
  s.ack = async (payload = {}) => {
    await s.opened;
    s.send({ type: 'connection_init', payload });
    return s.next((m) => m.type === 'connection_ack');
  };
  return s;
}

// ws-config:start
function subscriptionClient(getToken) {
  return createClient({
    url: wsEndpoint,
    webSocketImpl: WebSocket, // in Node; browsers have their own
    lazy: true,
    // Called at every (re)connection, so a refreshed token is sent.
    connectionParams: async () => {
      const token = await getToken();
      return token ? { Authorization: `Bearer ${token}` } : {};
    },
    // 4403: the token was refused or revoked; sign in again rather
    // than retry with it.
    shouldRetry: (e) => e?.code !== 4403,
  });
}
// ws-config:end

const within = (p, ms, what) => Promise.race([p, sleep(ms).then(() => { throw new Error(`no ${what} within ${ms} ms`); })]);

test('graphql-ws: a query over the socket answers one next, then complete', async () => {
  const s = raw();
  await s.ack();
  s.send({ id: 'q1', type: 'subscribe', payload: { query: print(op('CategoryTree')) } });
  await within(s.next((m) => m.type === 'complete' && m.id === 'q1'), 5000, 'complete');
  await sleep(300); // nothing more may follow
  const forQ1 = s.messages.filter((m) => m.id === 'q1').map((m) => m.type);
  assert.deepEqual(forQ1, ['next', 'complete']);
  assert.ok(s.messages.find((m) => m.type === 'next').payload.data.categoryTree.length > 0);
  s.ws.close(1000);
});

test('graphql-ws: a mutation over the socket commits once and answers once', async () => {
  const [v] = await someVariants(1);
  const client = subscriptionClient(async () => null);
  const results = [];
  await new Promise((resolve, reject) => {
    client.subscribe(
      { query: print(op('CartCreate')), variables: { lines: [{ variantId: v, quantity: 2 }] } },
      { next: (r) => results.push(r), error: reject, complete: resolve },
    );
  });
  await client.dispose();
  assert.equal(results.length, 1);
  assert.equal(results[0].errors, undefined, JSON.stringify(results[0]));
  const id = results[0].data.cartCreate.cart.id;
  const read = await post(op('Cart'), { id });
  assert.equal(read.data.cart.totalQuantity, 2, 'the cart was written, once');
});

test('graphql-transport-ws close codes', async (t) => {
  await t.test('4400: a message that is not the protocol', async () => {
    const s = raw();
    await s.ack();
    s.send('{"type":"no-such-type"}');
    assert.equal((await within(s.closedP, 3000, 'close')).code, 4400);
  });
  await t.test('4401: subscribe before connection_ack', async () => {
    const s = raw();
    await s.opened;
    s.send({ id: 'early', type: 'subscribe', payload: { query: '{ __typename }' } });
    assert.equal((await within(s.closedP, 3000, 'close')).code, 4401);
  });
  await t.test('4403: a bad token in connection_init, and graphql-ws gives up', async () => {
    const s = raw();
    await s.opened;
    s.send({ type: 'connection_init', payload: { Authorization: 'Bearer not-a-token' } });
    assert.equal((await within(s.closedP, 3000, 'close')).code, 4403);

    // graphql-ws retries 4403 (access might be granted later) within its
    // retry budget, then gives up and hands the application the 4403, so
    // it can sign in again; a 1000 close would make it reconnect for ever.
    let attempts = 0;
    const client = createClient({
      url: wsEndpoint, webSocketImpl: WebSocket, lazy: true,
      connectionParams: { Authorization: 'Bearer not-a-token' },
      retryAttempts: 2, retryWait: () => sleep(50),
      on: { connecting: () => { attempts++; } },
    });
    const err = await new Promise((resolve) => {
      client.subscribe({ query: '{ __typename }' }, { next() {}, error: resolve, complete() {} });
    });
    const gaveUpAfter = attempts;
    await sleep(1500);
    await client.dispose();
    assert.equal(err.code, 4403);
    assert.equal(gaveUpAfter, 3, 'the first try and the two retries the client allows');
    assert.equal(attempts, gaveUpAfter, 'no reconnect once it gave up');

    // Configured as the README shows: no retry at all.
    let tries = 0;
    const configured = subscriptionClient(async () => 'not-a-token');
    configured.on('connecting', () => { tries++; });
    const refused = await new Promise((resolve) => {
      configured.subscribe({ query: '{ __typename }' }, { next() {}, error: resolve, complete() {} });
    });
    await sleep(500);
    await configured.dispose();
    assert.equal(refused.code, 4403);
    assert.equal(tries, 1);
  });
  await t.test('4403 pairs with a good token, which is acknowledged', async () => {
    const s = raw();
    const ack = await within(s.ack({ Authorization: `Bearer ${await admin()}` }), 3000, 'ack');
    assert.equal(ack.type, 'connection_ack');
    s.ws.close(1000);
  });
  await t.test('4409: a second subscriber with the same id', async () => {
    const s = raw();
    await s.ack({ Authorization: `Bearer ${await admin()}` });
    const feed = { query: print(op('OrderFeed')) };
    s.send({ id: 'same', type: 'subscribe', payload: feed });
    await sleep(200);
    s.send({ id: 'same', type: 'subscribe', payload: feed });
    assert.equal((await within(s.closedP, 3000, 'close')).code, 4409);
  });
  await t.test('4429: a second connection_init', async () => {
    const s = raw();
    await s.ack();
    s.send({ type: 'connection_init', payload: {} });
    assert.equal((await within(s.closedP, 3000, 'close')).code, 4429);
  });
  await t.test('4408: no connection_init in time', async () => {
    const s = raw();
    await s.opened;
    const limit = Number(process.env.SAVANNAH_WS_INIT_TIMEOUT_MS ?? 3000);
    assert.equal((await within(s.closedP, limit + 2000, 'close')).code, 4408);
  });
});

test('keep-alive: the server pings, and a socket that answers pong stays open', async () => {
  const s = raw();
  await s.ack();
  const every = Number(process.env.SAVANNAH_WS_PING_MS ?? 15000);
  for (let i = 0; i < 2; i++) {
    const before = s.messages.filter((m) => m.type === 'ping').length;
    await within(s.next((m) => m.type === 'ping' && s.messages.filter((x) => x.type === 'ping').length > before), every * 2 + 1000, 'ping');
    s.send({ type: 'pong' });
  }
  assert.equal(s.closed, null, 'still open after answering two pings');
  s.ws.close(1000);
});

test('one event per change, in order, on the staff feed', async () => {
  const staffToken = await admin();
  const shopper = await customer();
  const [v] = await someVariants(1);
  const s = raw();
  await s.ack({ Authorization: `Bearer ${staffToken}` });
  s.send({ id: 'feed', type: 'subscribe', payload: { query: print(op('OrderFeed')) } });
  await sleep(300); // the subscription is registered

  const cart = await post(op('CartCreate'), { lines: [{ variantId: v, quantity: 1 }] }, shopper);
  // The demo store ships: the cart takes an address and a delivery option.
  const cartId = cart.data.cartCreate.cart.id;
  const address = { line1: '1 Moi Avenue', city: 'Nairobi', countryCode: 'KE', phone: '+254712345678' };
  const shipTo = await post(op('CartSetShippingAddress'), { cartId, address }, shopper);
  assert.deepEqual(shipTo.data.cartSetShippingAddress.userErrors, [], JSON.stringify(shipTo));
  const delivery = shipTo.data.cartSetShippingAddress.cart.shippingOptions.find((o) => o.method.kind === 'DELIVERY');
  const chosen = await post(op('CartSelectShippingOption'), { cartId, optionId: delivery.method.id }, shopper);
  assert.deepEqual(chosen.data.cartSelectShippingOption.userErrors, [], JSON.stringify(chosen));
  const placed = await post(op('PlaceOrder'), {
    input: {
      cartId,
      paymentMethod: 'CASH_ON_DELIVERY',
      idempotencyKey: `clients-${process.pid}-${Date.now()}`,
    },
  }, shopper);
  assert.deepEqual(placed.data.placeOrder.userErrors, [], JSON.stringify(placed));
  const orderId = placed.data.placeOrder.order.id;
  const moved = await post(op('UpdateOrderStatus'), { id: orderId, status: 'CANCELLED' }, staffToken);
  assert.equal(moved.errors, undefined, JSON.stringify(moved));

  await within(s.next((m) => m.id === 'feed' && m.type === 'next' && m.payload.data.orderEvents.order.status === 'CANCELLED'), 5000, 'UPDATED event');
  await sleep(500); // no duplicates may follow
  const events = s.messages.filter((m) => m.id === 'feed' && m.type === 'next')
    .map((m) => m.payload.data.orderEvents).filter((e) => e.order.id === orderId)
    .map((e) => `${e.type}:${e.order.status}`);
  assert.deepEqual(events, [`CREATED:${placed.data.placeOrder.order.status}`, 'UPDATED:CANCELLED']);
  s.ws.close(1000);
});
