'use strict';
// pricebook in process: the Rust engine, built by `npm run build` into pricebook.node. This file
// only shapes arguments and answers: a quote's arguments cross as positional values and its
// answer as JSON text (one string instead of an object built property by property).
const native = require('./pricebook.node');

function argument(message) {
  const e = new TypeError(message);
  e.code = 'argument';
  return e;
}

/** A string field of a quote's arguments (`undefined` when left out and optional). */
function text(args, name, required) {
  const v = args[name];
  if (v === undefined || v === null) {
    if (required) throw argument(`quote: \`${name}\` is required`);
    return undefined;
  }
  if (typeof v !== 'string') throw argument(`quote: \`${name}\` must be a string, not ${typeof v}`);
  return v;
}

/**
 * A loaded book: one book, a compiled table, or a vendor's directory of versions (each question
 * picks the version in force on its `at` day, the latest without one).
 */
class Book {
  constructor(inner) {
    this._inner = inner;
  }

  quote(args) {
    if (args === null || typeof args !== 'object') {
      throw argument('quote takes an object: { plan, product, quantity, dims, attrs, at }');
    }
    return JSON.parse(this._inner.quoteJson(text(args, 'plan'), text(args, 'product', true),
      text(args, 'quantity', true), args.dims, args.attrs, text(args, 'at'), args.explain, text(args, 'book')));
  }

  capacity(args) {
    return this._inner.capacity(args);
  }

  bill(args) {
    return this._inner.bill(args);
  }

  rate(events, options) {
    return this._inner.rate(events, options);
  }

  version(at) {
    return this._inner.version(at);
  }

  get path() {
    return this._inner.path;
  }

  get vendor() {
    return this._inner.vendor;
  }

  get currency() {
    return this._inner.currency;
  }

  get plans() {
    return this._inner.plans;
  }

  get products() {
    return this._inner.products;
  }
}

function load(path) {
  return new Book(native.load(path));
}

module.exports = { Book, load, check: native.check };
