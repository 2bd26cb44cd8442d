'use strict';
const { test } = require('node:test');
const assert = require('node:assert/strict');
require('./helpers');
const pricebook = require('..');

const hedra = pricebook.load('pricebooks/hedra');

test('a rejected quote is an Error with its kind, reason and line', () => {
  assert.throws(() => hedra.quote({ plan: 'creator', product: 'sora-2-pro', quantity: '-5 second' }), (e) =>
    e instanceof Error && e.code === 'rejected' && e.kind === 'negative' && e.reason === 'quantity -5 is negative' &&
    e.line === null && e.message === 'quantity -5 is negative');
});

test('names the book does not know, with a suggestion', () => {
  assert.throws(() => hedra.quote({ plan: 'creatr', product: 'sora-2-pro', quantity: '5 second' }), (e) =>
    e.code === 'unknown-reference' && e.help === 'did you mean `creator`?' &&
    e.message === 'unknown plan `creatr`; did you mean `creator`?');
  assert.throws(() => hedra.quote({ product: 'sora-2-pro', quantity: '5 second' }), (e) =>
    e.code === 'missing-statement' && e.field === 'plan');
  assert.throws(() => hedra.quote({ plan: 'creator', product: 'sora-2-pro', quantity: '90' }), (e) => e.code === 'invalid-value');
});

test('malformed arguments', () => {
  assert.throws(() => hedra.quote({ plan: 'creator', quantity: '5 second' }),
    (e) => e instanceof TypeError && e.code === 'argument' && /`product` is required/.test(e.message));
  assert.throws(() => hedra.quote({ plan: 3, product: 'sora-2-pro', quantity: '5 second' }),
    (e) => e instanceof TypeError && e.code === 'argument' && /`plan` must be a string/.test(e.message));
  // Elsewhere a missing or mistyped field is refused by napi-rs's conversion, with its own code.
  assert.throws(() => hedra.capacity({ plan: 'creator' }), (e) => e.code === 'InvalidArg' && /product/.test(e.message));
  assert.throws(() => hedra.quote({ plan: 'creator', product: 'sora-2-pro', quantity: '5 second', at: '2026-13-01' }),
    (e) => e.code === 'bad-request' && e.field === 'at');
  assert.throws(() => hedra.bill({ plan: 'creator', usage: [], billing: 'weekly' }), (e) => e instanceof TypeError && e.code === 'argument');
  assert.throws(() => hedra.rate([], { by: 'country' }), (e) => e.code === 'argument');
});

test('a book that does not check: code book, with its diagnostics', () => {
  assert.throws(() => pricebook.load('tests/ui/keyword-typo-mesure.pricebook'), (e) => {
    assert.equal(e.code, 'book');
    assert.match(e.message, /has 1 error/);
    assert.equal(e.diagnostics.length, 1);
    const d = e.diagnostics[0];
    assert.deepEqual([d.code, d.severity, d.file, d.line, d.column, d.help],
      ['syntax-error', 'error', 'tests/ui/keyword-typo-mesure.pricebook', 7, 3, 'did you mean `measure`?']);
    return true;
  });
});

test('a path without books', () => {
  assert.throws(() => pricebook.load('no/such/dir'), (e) => e.code === 'no-book' && /no such file or directory/.test(e.message));
});

test('check lists every diagnostic', () => {
  assert.deepEqual(pricebook.check(['pricebooks']).filter((d) => d.severity === 'error'), []);
  const [d] = pricebook.check('tests/ui/keyword-typo-mesure.pricebook');
  assert.equal(d.code, 'syntax-error');
  assert.equal(d.labels[0].text, 'mesure');
});
