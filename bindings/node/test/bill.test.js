'use strict';
const { test } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const { cliJson } = require('./helpers');
const pricebook = require('..');

// [book, plan, usage, options, the command line's flags]: the scenarios of tests/bill.rs.
const SCENARIOS = [
  ['pricebooks/hedra/2026-06.pricebook', 'creator', 'creator-20-min-avatar.jsonl', {}, []],
  ['pricebooks/hedra/2026-06.pricebook', 'creator', 'creator-20-min-avatar-with-pack.jsonl', {}, []],
  ['pricebooks/hedra/2025-05.pricebook', 'creator', 'annual-front-load.jsonl',
    { billing: 'annual', from: '2025-06-01', periods: 12 }, ['--billing', 'annual', '--from', '2025-06-01', '--periods', '12']],
  ['pricebooks/hedra/2026-06.pricebook', 'creator', 'auto-recharge-cap.jsonl',
    { autoRecharge: 'below=500,to=3000,cap=40' }, ['--auto-recharge', 'below=500,to=3000,cap=40']],
  ['pricebooks/heygen/enterprise.pricebook', 'mmc-5000', 'mmc-5000.csv', {}, []],
  ['pricebooks/hedra/2024-11.pricebook', 'basic', 'minutes-overage-2024.jsonl', {}, []],
  ['pricebooks/heygen/api-plans-legacy.pricebook', 'free', 'limits-reject.jsonl', {}, []],
  ['pricebooks/hedra', 'creator', 'annual-front-load.jsonl', { from: '2025-06-01', periods: 2 }, ['--from', '2025-06-01', '--periods', '2']],
];

for (const [book, plan, usage, options, flags] of SCENARIOS) {
  test(`the bill of ${usage} on ${book} is the command line's`, () => {
    const file = `tests/bills/${usage}`;
    const expected = cliJson(['bill', book, '--plan', plan, '--usage', file, ...flags]);
    const b = pricebook.load(book).bill({ plan, usage: file, ...options });
    assert.deepEqual(b, expected);
    if (file.endsWith('.jsonl')) {
      const events = fs.readFileSync(file, 'utf8').split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l));
      assert.deepEqual(pricebook.load(book).bill({ plan, usage: events, ...options }), expected);
    }
  });
}

test('the issue example: decimals are strings', () => {
  const book = pricebook.load('pricebooks/hedra');
  const usage = [{ time: '2026-07-02T10:00:00Z', product: 'sora-2-pro', quantity: '30 second' }];
  const b = book.bill({ plan: 'creator', usage, from: '2026-07-01', periods: 1 });
  assert.deepEqual(b.total, { amount: '30.00', currency: 'USD' });
  assert.equal(b.wallet[0].consumed, '2100');
  assert.deepEqual(b.rejected, []);
});

test('the closing wallet carries into the next bill', () => {
  const book = pricebook.load('pricebooks/hedra/2026-06.pricebook');
  const first = book.bill({ plan: 'creator', usage: 'tests/bills/creator-20-min-avatar-with-pack.jsonl' });
  const july = [{ time: '2026-07-03T10:00:00Z', product: 'sora-2-pro', quantity: '200 second' }];
  const second = book.bill({ plan: 'creator', usage: july, wallet: first });
  const carried = second.wallet.find((g) => g.grant.endsWith('(carried over)'));
  assert.deepEqual([carried.consumed, carried.remaining], ['8600', '4400']);
});

test('rate gives the command line totals', () => {
  const book = pricebook.load('docs/examples/quickstart.pricebook');
  const t = book.rate('docs/examples/quickstart-events.csv', { by: 'plan' });
  const c = cliJson(['rate', 'docs/examples/quickstart.pricebook', '--events', 'docs/examples/quickstart-events.csv', '--by', 'plan']);
  assert.deepEqual(t, c);
  assert.equal(typeof t.totals[0].amount, 'string');
});
