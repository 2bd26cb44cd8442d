// The Pricebook extension: starts `pricebook lsp` over stdio for `.pricebook` files and hands
// everything else (diagnostics, hover, completion, code lenses, ...) to the language client.
// The server does the work; this file only finds it and restarts it when asked.
"use strict";

const vscode = require("vscode");
const { LanguageClient, TransportKind } = require("vscode-languageclient/node");

/** @type {LanguageClient | undefined} */
let client;

function serverOptions() {
  const config = vscode.workspace.getConfiguration("pricebook");
  const command = config.get("server.path", "pricebook");
  const debounce = config.get("server.debounceMs", 15);
  const run = {
    command,
    args: ["lsp", "--stdio", "--debounce-ms", String(debounce)],
    transport: TransportKind.stdio,
  };
  return { run, debug: run };
}

async function start(context) {
  client = new LanguageClient(
    "pricebook",
    "Pricebook",
    serverOptions(),
    {
      documentSelector: [{ scheme: "file", language: "pricebook" }, { scheme: "untitled", language: "pricebook" }],
      synchronize: {
        fileEvents: vscode.workspace.createFileSystemWatcher("**/*.pricebook"),
      },
    },
  );
  try {
    await client.start();
  } catch (e) {
    const path = vscode.workspace.getConfiguration("pricebook").get("server.path", "pricebook");
    vscode.window.showErrorMessage(
      `Pricebook: could not start \`${path} lsp\` (${e instanceof Error ? e.message : e}). ` +
        "Install pricebook (cargo install --path . in its repository) or set pricebook.server.path.",
    );
  }
  context.subscriptions.push({ dispose: () => client && client.stop() });
}

/** @param {vscode.ExtensionContext} context */
async function activate(context) {
  context.subscriptions.push(
    vscode.commands.registerCommand("pricebook.restartServer", async () => {
      if (client) {
        await client.stop();
      }
      await start(context);
    }),
    vscode.workspace.onDidChangeConfiguration(async (e) => {
      if (e.affectsConfiguration("pricebook.server")) {
        await vscode.commands.executeCommand("pricebook.restartServer");
      }
    }),
  );
  await start(context);
}

async function deactivate() {
  if (client) {
    await client.stop();
  }
}

module.exports = { activate, deactivate };
