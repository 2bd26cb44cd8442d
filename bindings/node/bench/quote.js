'use strict';
// Quote cost per call from Node against the Rust in-process quote, in the same run.
//
//   node bindings/node/bench/quote.js [CALLS]      (from anywhere; built with `npm run build`)
//
// The Rust figures come from examples/quote_bench.rs (built here in release): the same question
// through `pricebook::answer` with its explanation (what the binding calls: a Node quote carries
// `explain`), without it, and through the table's exact quote alone.
const path = require('node:path');
const { execFileSync } = require('node:child_process');
const pricebook = require('..');

const ROOT = path.resolve(__dirname, '..', '..', '..');
process.chdir(ROOT);
const calls = Number(process.argv[2] || 200000);

function bestOfFive(f) {
  let best = Infinity;
  for (let r = 0; r < 5; r++) {
    const start = process.hrtime.bigint();
    for (let i = 0; i < calls; i++) f();
    best = Math.min(best, Number(process.hrtime.bigint() - start) / calls);
  }
  return best;
}

execFileSync('cargo', ['build', '--release', '--quiet', '--example', 'quote_bench'], { stdio: 'inherit' });
const target = process.env.CARGO_TARGET_DIR || path.join(ROOT, 'target');
const rust = JSON.parse(execFileSync(path.join(target, 'release', 'examples', 'quote_bench'), [String(calls)], { encoding: 'utf8' }));
const book = pricebook.load('pricebooks/hedra');
const ask = { plan: 'creator', product: 'sora-2-pro', quantity: '90 second' };
const nodeNs = bestOfFive(() => book.quote(ask));
const bare = { ...ask, explain: false };
const nodeBareNs = bestOfFive(() => book.quote(bare));
console.log(JSON.stringify({
  calls,
  node_quote_ns: Math.round(nodeNs),
  node_quote_without_explain_ns: Math.round(nodeBareNs),
  rust_answer_ns: rust.answer_ns,
  rust_answer_without_explain_ns: rust.answer_without_explain_ns,
  rust_table_ns: rust.table_ns,
  node_over_rust_answer: Math.round((nodeNs / rust.answer_ns) * 100) / 100,
  node_over_rust_answer_without_explain: Math.round((nodeBareNs / rust.answer_without_explain_ns) * 100) / 100,
}));
