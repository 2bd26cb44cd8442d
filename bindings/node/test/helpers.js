'use strict';
// Shared by the suites: the repository root (the bundled books live there), and the Rust
// library's and command line's answers to compare with.
const path = require('node:path');
const { execFileSync } = require('node:child_process');

const ROOT = path.resolve(__dirname, '..', '..', '..');
process.chdir(ROOT);

function target() {
  return process.env.CARGO_TARGET_DIR || path.join(ROOT, 'target');
}

/** A release binary: the path CI gives in `env`, else built here. */
function binary(env, args, rel) {
  if (process.env[env]) return process.env[env];
  execFileSync('cargo', ['build', '--release', '--locked', ...args], { cwd: ROOT, stdio: 'inherit' });
  return path.join(target(), 'release', rel);
}

const cli = () => binary('PRICEBOOK_CLI', ['--bin', 'pricebook'], 'pricebook');
const oracle = () => binary('PRICEBOOK_ORACLE', ['--example', 'quote_oracle'], path.join('examples', 'quote_oracle'));

/** The command line's JSON (it exits 1 on rejections and bad lines, with JSON all the same). */
function cliJson(args) {
  try {
    return JSON.parse(execFileSync(cli(), [...args, '--format', 'json'], { encoding: 'utf8' }));
  } catch (e) {
    return JSON.parse(e.stdout);
  }
}

module.exports = { ROOT, cli, oracle, cliJson };
