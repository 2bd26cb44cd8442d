//! A language client for the tests and the benchmark: it runs `pricebook lsp` and speaks
//! JSON-RPC to it over its standard input and output, as an editor does (Content-Length framed
//! messages). Every wait is bounded: a server that stops answering fails the test instead of
//! hanging it.

// The tests and the benchmark each use part of it.
#![allow(dead_code)]

use serde_json::{Value, json};
use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::time::{Duration, Instant};

/// How long any one answer may take before the server is taken to hang.
pub const PATIENCE: Duration = Duration::from_secs(30);

pub struct Client {
    child: Child,
    stdin: ChildStdin,
    from_server: Receiver<Value>,
    /// Notifications (and server requests) read while waiting for something else.
    pending: VecDeque<Value>,
    next_id: i64,
    /// What the server said it can do, in its answer to `initialize`.
    pub capabilities: Value,
}

/// `file://` URI of a path.
pub fn uri(path: &Path) -> String {
    format!("file://{}", path.display())
}

fn read_message(r: &mut impl BufRead) -> Option<Value> {
    let mut length = None;
    loop {
        let mut line = String::new();
        if r.read_line(&mut line).ok()? == 0 {
            return None;
        }
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some(n) = line.strip_prefix("Content-Length: ") {
            length = n.parse::<usize>().ok();
        }
    }
    let mut body = vec![0; length?];
    r.read_exact(&mut body).ok()?;
    serde_json::from_slice(&body).ok()
}

impl Client {
    /// Starts the server on the workspace folder `root` and initializes it. The server is this
    /// build's `pricebook`, or the binary `PRICEBOOK_LSP_BIN` names (to time another build, such
    /// as a baseline, with the same client).
    pub fn start(root: &Path, extra_args: &[&str]) -> Client {
        let bin = std::env::var_os("PRICEBOOK_LSP_BIN")
            .unwrap_or_else(|| env!("CARGO_BIN_EXE_pricebook").into());
        let mut child = Command::new(bin)
            .arg("lsp")
            .args(extra_args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("pricebook lsp starts");
        let stdin = child.stdin.take().expect("stdin");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, from_server) = channel();
        std::thread::spawn(move || {
            let mut r = BufReader::new(stdout);
            while let Some(m) = read_message(&mut r) {
                if tx.send(m).is_err() {
                    break;
                }
            }
        });
        let mut c = Client {
            child,
            stdin,
            from_server,
            pending: VecDeque::new(),
            next_id: 1,
            capabilities: Value::Null,
        };
        let root_uri = uri(root);
        let init = c.request(
            "initialize",
            json!({
                "processId": null,
                "rootUri": root_uri,
                "workspaceFolders": [{"uri": root_uri, "name": "books"}],
                "capabilities": {
                    "textDocument": {"publishDiagnostics": {"relatedInformation": true}},
                    "workspace": {"didChangeWatchedFiles": {"dynamicRegistration": true}}
                }
            }),
        );
        assert!(init.get("result").is_some(), "initialize failed: {init}");
        c.capabilities = init["result"]["capabilities"].clone();
        c.notify("initialized", json!({}));
        c
    }

    fn send(&mut self, message: &Value) {
        let body = message.to_string();
        write!(self.stdin, "Content-Length: {}\r\n\r\n{body}", body.len()).expect("send");
        self.stdin.flush().expect("flush");
    }

    pub fn notify(&mut self, method: &str, params: Value) {
        self.send(&json!({"jsonrpc": "2.0", "method": method, "params": params}));
    }

    /// The next message from the server, within `timeout`; `None` when it did not come.
    fn next(&mut self, timeout: Duration) -> Option<Value> {
        match self.from_server.recv_timeout(timeout) {
            Ok(m) => {
                // The server's own requests (registering the file watcher) are answered at once.
                if m.get("id").is_some() && m.get("method").is_some() {
                    let id = m["id"].clone();
                    self.send(&json!({"jsonrpc": "2.0", "id": id, "result": null}));
                }
                Some(m)
            }
            Err(RecvTimeoutError::Timeout) => None,
            Err(RecvTimeoutError::Disconnected) => panic!("the server closed its output"),
        }
    }

    /// Sends a request and waits for its response (the whole message: `result` or `error`).
    pub fn request(&mut self, method: &str, params: Value) -> Value {
        let id = self.next_id;
        self.next_id += 1;
        self.send(&json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}));
        let until = Instant::now() + PATIENCE;
        loop {
            let left = until.saturating_duration_since(Instant::now());
            let m = self
                .next(left)
                .unwrap_or_else(|| panic!("no answer to {method} within {PATIENCE:?}"));
            if m.get("id") == Some(&json!(id)) && m.get("method").is_none() {
                return m;
            }
            self.pending.push_back(m);
        }
    }

    /// The `result` of a request, failing on an error response.
    pub fn result(&mut self, method: &str, params: Value) -> Value {
        let m = self.request(method, params);
        match m.get("error") {
            Some(e) => panic!("{method} failed: {e}"),
            None => m["result"].clone(),
        }
    }

    /// Waits for a notification `method` whose params satisfy `pred`, within `timeout`;
    /// notifications already read count.
    pub fn wait_for(
        &mut self,
        method: &str,
        timeout: Duration,
        mut pred: impl FnMut(&Value) -> bool,
    ) -> Option<Value> {
        let matches = |m: &Value, pred: &mut dyn FnMut(&Value) -> bool| {
            m.get("method").and_then(Value::as_str) == Some(method) && pred(&m["params"])
        };
        if let Some(i) = self.pending.iter().position(|m| matches(m, &mut pred)) {
            return self.pending.remove(i).map(|m| m["params"].clone());
        }
        let until = Instant::now() + timeout;
        loop {
            let left = until.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return None;
            }
            let m = self.next(left)?;
            if matches(&m, &mut pred) {
                return Some(m["params"].clone());
            }
            self.pending.push_back(m);
        }
    }

    /// The next diagnostics published for `uri` (at `version`, when given).
    pub fn diagnostics(&mut self, uri: &str, version: Option<i64>) -> Value {
        self.wait_for("textDocument/publishDiagnostics", PATIENCE, |p| {
            p["uri"] == uri && version.is_none_or(|v| p["version"] == v)
        })
        .unwrap_or_else(|| panic!("no diagnostics for {uri} within {PATIENCE:?}"))
    }

    /// Forgets the notifications read so far.
    pub fn clear(&mut self) {
        self.pending.clear();
    }

    pub fn open(&mut self, uri: &str, text: &str) {
        self.notify(
            "textDocument/didOpen",
            json!({"textDocument": {"uri": uri, "languageId": "pricebook", "version": 1, "text": text}}),
        );
    }

    /// Replaces a document's whole text.
    pub fn change(&mut self, uri: &str, version: i64, text: &str) {
        self.notify(
            "textDocument/didChange",
            json!({"textDocument": {"uri": uri, "version": version}, "contentChanges": [{"text": text}]}),
        );
    }

    /// Says `shutdown` and `exit`, and waits for the process to end; its exit status.
    pub fn stop(mut self) -> std::process::ExitStatus {
        let _ = self.result("shutdown", Value::Null);
        self.notify("exit", Value::Null);
        let until = Instant::now() + PATIENCE;
        loop {
            if let Some(status) = self.child.try_wait().expect("wait") {
                return status;
            }
            assert!(Instant::now() < until, "the server did not exit");
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

impl Drop for Client {
    fn drop(&mut self) {
        // A failed test leaves no server behind.
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}
