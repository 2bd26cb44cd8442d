// Copies the repository's bundled books (pricebooks/, docs/examples/) into test/books/, where
// the grammar's snapshots (`<book>.snap`, committed) sit beside them: vscode-tmgrammar-snap reads
// each book's snapshot from beside it. The copies are not committed; the books stay where they are.
"use strict";

const fs = require("fs");
const path = require("path");

const root = path.resolve(__dirname, "..", "..", "..");
const out = path.join(__dirname, "books");
const sources = [
  ["pricebooks/hedra", "hedra"],
  ["pricebooks/heygen", "heygen"],
  ["docs/examples", "examples"],
];

for (const [from, to] of sources) {
  const dir = path.join(root, from);
  fs.mkdirSync(path.join(out, to), { recursive: true });
  for (const name of fs.readdirSync(dir).sort()) {
    if (name.endsWith(".pricebook")) {
      fs.copyFileSync(path.join(dir, name), path.join(out, to, name));
    }
  }
}
