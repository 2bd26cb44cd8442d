'use strict';
// pricebook in process: the Rust engine, built by `npm run build` into pricebook.node.
module.exports = require('./pricebook.node');
