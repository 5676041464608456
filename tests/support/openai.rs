//! A scripted OpenAI Responses API on 127.0.0.1 for Codex: server-sent
//! events as the real API streams them, replies from a script, and a count
//! of every token served.

use serde_json::{Value, json};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};

pub enum Reply {
    /// Run a command through Codex's `exec_command` tool.
    Exec(String),
    /// Say this and end the turn.
    Text(String),
}

/// Tokens served in the OpenAI convention: `input` includes `cached`,
/// `output` includes reasoning.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Served {
    pub input: u64,
    pub cached: u64,
    pub output: u64,
    pub requests: u64,
}

pub struct Server {
    pub url: String,
    served: Arc<Mutex<Served>>,
}

impl Server {
    /// `script(request body, turn)`: `turn` counts the tool outputs already
    /// in the conversation.
    pub fn start(script: fn(&str, usize) -> Reply) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1");
        let url = format!("http://{}/v1", listener.local_addr().unwrap());
        let served = Arc::new(Mutex::new(Served::default()));
        let s = served.clone();
        std::thread::spawn(move || {
            for conn in listener.incoming().flatten() {
                let s = s.clone();
                std::thread::spawn(move || {
                    let _ = handle(conn, script, &s);
                });
            }
        });
        Server { url, served }
    }

    pub fn served(&self) -> Served {
        *self.served.lock().unwrap()
    }
}

fn handle(
    mut conn: TcpStream,
    script: fn(&str, usize) -> Reply,
    served: &Mutex<Served>,
) -> std::io::Result<()> {
    let mut reader = BufReader::new(conn.try_clone()?);
    loop {
        let mut request_line = String::new();
        if reader.read_line(&mut request_line)? == 0 {
            return Ok(());
        }
        let mut length = 0usize;
        loop {
            let mut h = String::new();
            reader.read_line(&mut h)?;
            let h = h.trim_end();
            if h.is_empty() {
                break;
            }
            if let Some((k, v)) = h.split_once(':')
                && k.eq_ignore_ascii_case("content-length")
            {
                length = v.trim().parse().unwrap_or(0);
            }
        }
        let mut body = vec![0; length];
        reader.read_exact(&mut body)?;
        if !request_line.starts_with("POST") || !request_line.contains("/responses") {
            let out = br#"{"data":[]}"#;
            write!(
                conn,
                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n",
                out.len()
            )?;
            conn.write_all(out)?;
            continue;
        }
        let text = String::from_utf8_lossy(&body).into_owned();
        let req: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
        let turn = req["input"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|i| i["type"] == "function_call_output")
            .count();
        let reply = script(&text, turn);
        let data = {
            let mut s = served.lock().unwrap();
            s.requests += 1;
            let n = s.requests;
            let (input, cached, output) = (300 + n, 200, 30 + n);
            s.input += input;
            s.cached += cached;
            s.output += output;
            sse(n, &reply, (input, cached, output))
        };
        write!(
            conn,
            "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ncache-control: no-cache\r\ncontent-length: {}\r\n\r\n",
            data.len()
        )?;
        conn.write_all(data.as_bytes())?;
        conn.flush()?;
    }
}

fn sse(n: u64, reply: &Reply, (input, cached, output): (u64, u64, u64)) -> String {
    let id = format!("resp_{n:04}");
    let item = match reply {
        Reply::Exec(cmd) => {
            json!({"type":"function_call","id":format!("fc_{n:04}"),"call_id":format!("call_{n:04}"),
            "name":"exec_command","arguments": json!({"cmd": cmd}).to_string()})
        }
        Reply::Text(t) => json!({"type":"message","role":"assistant","id":format!("msg_{n:04}"),
            "content":[{"type":"output_text","text": t}]}),
    };
    let events = [
        json!({"type":"response.created","response":{"id": id}}),
        json!({"type":"response.output_item.done","output_index":0,"item": item}),
        json!({"type":"response.completed","response":{"id": id,"usage":{
            "input_tokens": input, "input_tokens_details": {"cached_tokens": cached},
            "output_tokens": output, "output_tokens_details": {"reasoning_tokens": 5},
            "total_tokens": input + output}}}),
    ];
    events
        .iter()
        .map(|e| format!("event: {}\ndata: {}\n\n", e["type"].as_str().unwrap(), e))
        .collect()
}
