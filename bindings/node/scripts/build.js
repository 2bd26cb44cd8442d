'use strict';
// `npm run build`: the release build of pricebook.node, for this machine's target triple named
// explicitly, as maturin builds the Python binding: the two bindings then share one set of
// compiled dependencies in a shared CARGO_TARGET_DIR instead of building the library twice.
const { execFileSync } = require('node:child_process');
const path = require('node:path');

const host = execFileSync('rustc', ['-vV'], { encoding: 'utf8' }).match(/^host: (\S+)$/m)[1];
const napi = path.join(__dirname, '..', 'node_modules', '@napi-rs', 'cli', 'dist', 'cli.js');
execFileSync(process.execPath, [napi, 'build', '--release', '--target', host, '--output-dir', '.', '--dts', 'native.d.ts'],
  { cwd: path.join(__dirname, '..'), stdio: 'inherit' });
