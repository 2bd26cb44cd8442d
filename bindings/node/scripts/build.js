'use strict';
// `npm run build`: the release build of pricebook.node for the host, in the cargo target folder
// (CARGO_TARGET_DIR when set), where `pip install ./bindings/python` builds the Python binding
// too: the two share the library's build. native.d.ts is napi-rs's view of the raw extension;
// index.d.ts is the package's.
const { execFileSync } = require('node:child_process');
const path = require('node:path');

const napi = path.join(__dirname, '..', 'node_modules', '@napi-rs', 'cli', 'dist', 'cli.js');
execFileSync(process.execPath, [napi, 'build', '--release', '--output-dir', '.', '--dts', 'native.d.ts'],
  { cwd: path.join(__dirname, '..'), stdio: 'inherit' });
