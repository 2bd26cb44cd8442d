'use strict';
const { test } = require('node:test');
const assert = require('node:assert/strict');
const { cliJson } = require('./helpers');
const pricebook = require('..');

test('the issue example', () => {
  const book = pricebook.load('pricebooks/hedra');
  const q = book.quote({ plan: 'creator', product: 'sora-2-pro', quantity: '90 second' });
  assert.equal(q.charge.amount, '6300');
  assert.equal(q.charge.unit, 'credit');
  assert.deepEqual(q.money, { amount: '35.00', currency: 'USD' });
  assert.equal(q.explain.at(-1),
    'money: 6300 credit x 30 USD / 5400 credit = 35.00 USD (pricebooks/hedra/2026-06.pricebook:139)');
  assert.deepEqual(book.capacity({ plan: 'basic', product: 'hedra-avatar' }), { value: '214', unit: 'second' });
});

test('a quote is the command line quote', () => {
  const book = pricebook.load('pricebooks/hedra');
  for (const [plan, product, quantity] of [['creator', 'sora-2-pro', '90 second'], ['basic', 'hedra-avatar', '2.5 minute'],
    ['professional', 'Hedra Avatar', '1 hour']]) {
    const q = book.quote({ plan, product, quantity });
    const c = cliJson(['quote', 'pricebooks/hedra', '--plan', plan, '--product', product, '--quantity', quantity, '--explain']);
    assert.deepEqual(q.charge, c.charge);
    assert.deepEqual(q.money, c.money);
    assert.equal(q.explain.length, c.explain.length);
  }
});

test('versions by date', () => {
  const book = pricebook.load('pricebooks/hedra');
  assert.equal(book.version(), '2026-06');
  assert.equal(book.version('2025-06-01'), '2025-05');
  const q = book.quote({ plan: 'creator', product: 'video', dims: ['540p'], quantity: '10 second', at: '2025-06-01' });
  assert.deepEqual(q.charge, { amount: '30', exact: '30', unit: 'credit' });
  assert.equal(q.source, 'pricebooks/hedra/2025-05.pricebook');
  const same = book.quote({ plan: 'creator', product: 'video', dims: { resolution: '540p' }, quantity: '10 second', at: '2025-06-01' });
  assert.deepEqual(same.charge, q.charge);
  assert.throws(() => book.quote({ plan: 'creator', product: 'video', quantity: '1 second', at: '2020-01-01' }),
    (e) => e instanceof Error && e.code === 'not-in-force' && /2024-11-/.test(e.help));
});

test('attributes are checked against the plan limits', () => {
  const book = pricebook.load('pricebooks/heygen/api-plans-legacy.pricebook');
  const ask = { plan: 'free', product: 'video-generate', dims: ['Photo Avatar', '720p'], quantity: '1 minute' };
  assert.ok(Number(book.quote({ ...ask, attrs: { 'avatar input text': '4000 character' } }).charge.amount) > 0);
  assert.throws(() => book.quote({ ...ask, attrs: { 'avatar input text': '6000 character' } }), (e) =>
    e.code === 'rejected' && e.kind === 'limit' && e.line === 133 &&
    e.reason === 'limit avatar input text < 5000 character on plan `free` (6000 character given)' &&
    e.file === 'pricebooks/heygen/api-plans-legacy.pricebook');
});
