//! A small HTTP/1.1 client over one keep-alive connection, and `pricebook serve` started on a
//! free port of 127.0.0.1 for a test, stopped (SIGTERM) when the test ends.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// An answer: status, headers (names in lower case), body.
#[derive(Debug, Clone)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Response {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text()))
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// One connection to a server, reused for every request (keep-alive).
pub struct Client {
    reader: BufReader<TcpStream>,
    host: String,
    /// The server said `connection: close`: the next request opens a new connection.
    closed: bool,
}

impl Client {
    pub fn connect(url: &str) -> Client {
        let host = url.trim_start_matches("http://").to_string();
        let stream = TcpStream::connect(&host).expect("connects");
        stream
            .set_read_timeout(Some(Duration::from_secs(30)))
            .expect("timeout");
        stream.set_nodelay(true).expect("nodelay");
        Client {
            reader: BufReader::new(stream),
            host,
            closed: false,
        }
    }

    /// Sends the head of a request (and no body).
    pub fn send_head(&mut self, method: &str, path: &str, headers: &[(&str, &str)], len: usize) {
        if self.closed {
            *self = Client::connect(&format!("http://{}", self.host));
        }
        let mut head = format!("{method} {path} HTTP/1.1\r\nhost: {}\r\n", self.host);
        for (k, v) in headers {
            head.push_str(&format!("{k}: {v}\r\n"));
        }
        head.push_str(&format!("content-length: {len}\r\n\r\n"));
        let _ = self.reader.get_mut().write_all(head.as_bytes());
    }

    /// Sends part of a body.
    pub fn send_body(&mut self, body: &[u8]) {
        // A server that answers before reading everything (413) may close: the answer is still
        // there to read.
        let _ = self.reader.get_mut().write_all(body);
    }

    pub fn request(
        &mut self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> Response {
        self.send_head(method, path, headers, body.len());
        self.send_body(body);
        self.read_response()
    }

    pub fn get(&mut self, path: &str) -> Response {
        self.request("GET", path, &[], b"")
    }

    pub fn post(&mut self, path: &str, body: &str) -> Response {
        self.request(
            "POST",
            path,
            &[("content-type", "application/json")],
            body.as_bytes(),
        )
    }

    pub fn read_response(&mut self) -> Response {
        let mut line = String::new();
        self.reader.read_line(&mut line).expect("a status line");
        let status: u16 = line
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| panic!("not a status line: {line:?}"));
        let mut headers = Vec::new();
        let mut length = 0usize;
        let mut chunked = false;
        loop {
            line.clear();
            self.reader.read_line(&mut line).expect("a header");
            let l = line.trim_end();
            if l.is_empty() {
                break;
            }
            if let Some((k, v)) = l.split_once(':') {
                let (k, v) = (k.trim().to_ascii_lowercase(), v.trim().to_string());
                if k == "content-length" {
                    length = v.parse().expect("a length");
                }
                if k == "transfer-encoding" && v.contains("chunked") {
                    chunked = true;
                }
                if k == "connection" && v.eq_ignore_ascii_case("close") {
                    self.closed = true;
                }
                headers.push((k, v));
            }
        }
        let mut body = Vec::new();
        if chunked {
            loop {
                line.clear();
                self.reader.read_line(&mut line).expect("a chunk size");
                let n = usize::from_str_radix(line.trim(), 16).expect("a chunk size");
                let mut chunk = vec![0; n + 2];
                self.reader.read_exact(&mut chunk).expect("a chunk");
                if n == 0 {
                    break;
                }
                body.extend_from_slice(&chunk[..n]);
            }
        } else {
            body.resize(length, 0);
            self.reader.read_exact(&mut body).expect("the body");
        }
        Response {
            status,
            headers,
            body,
        }
    }
}

/// `pricebook serve ARGS --listen 127.0.0.1:0`, running.
pub struct Server {
    child: Option<Child>,
    pub url: String,
    /// What it logs on standard error, read as it comes (a full pipe would stall the server).
    log: Option<std::thread::JoinHandle<String>>,
}

impl Server {
    pub fn start(args: &[&str]) -> Server {
        let mut child = Command::new(env!("CARGO_BIN_EXE_pricebook"))
            .arg("serve")
            .args(args)
            .args(["--listen", "127.0.0.1:0"])
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the server starts");
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("stdout"))
            .read_line(&mut line)
            .expect("the ready line");
        let url = line
            .split_whitespace()
            .find(|w| w.starts_with("http://127.0.0.1:"))
            .unwrap_or_else(|| panic!("no URL in {line:?}"))
            .to_string();
        let mut stderr = child.stderr.take().expect("stderr");
        let log = std::thread::spawn(move || {
            let mut text = String::new();
            let _ = stderr.read_to_string(&mut text);
            text
        });
        Server {
            child: Some(child),
            url,
            log: Some(log),
        }
    }

    pub fn client(&self) -> Client {
        Client::connect(&self.url)
    }

    pub fn pid(&self) -> u32 {
        self.child.as_ref().map_or(0, Child::id)
    }

    /// SIGTERM, then the exit status and what it logged on standard error.
    pub fn stop(&mut self) -> (Option<i32>, String) {
        let Some(mut child) = self.child.take() else {
            return (None, String::new());
        };
        let _ = Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status();
        let status = child.wait().ok().and_then(|s| s.code());
        let log = self
            .log
            .take()
            .and_then(|l| l.join().ok())
            .unwrap_or_default();
        (status, log)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}
