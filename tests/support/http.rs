//! Just enough HTTP/1.1 for the scripted APIs: requests with a
//! content-length body, answered one at a time on a kept-alive connection.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};

/// Listen on 127.0.0.1 (a free port); `answer(request line, body)` gives
/// (status line, content type, body) for each request. Returns the address.
pub fn serve<F>(answer: F) -> String
where
    F: Fn(&str, &[u8]) -> (String, &'static str, String) + Send + Sync + Clone + 'static,
{
    serve_with_headers(
        move |request_line: &str, _: &[(String, String)], body: &[u8]| answer(request_line, body),
    )
}

/// As [`serve`], and `answer` also gets the request's headers as
/// (name in lower case, value).
pub fn serve_with_headers<F>(answer: F) -> String
where
    F: Fn(&str, &[(String, String)], &[u8]) -> (String, &'static str, String)
        + Send
        + Sync
        + Clone
        + 'static,
{
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1");
    let addr = listener.local_addr().unwrap().to_string();
    std::thread::spawn(move || {
        for conn in listener.incoming().flatten() {
            let answer = answer.clone();
            std::thread::spawn(move || {
                let _ = connection(conn, answer);
            });
        }
    });
    addr
}

fn connection<F>(mut conn: TcpStream, answer: F) -> std::io::Result<()>
where
    F: Fn(&str, &[(String, String)], &[u8]) -> (String, &'static str, String),
{
    let mut reader = BufReader::new(conn.try_clone()?);
    loop {
        let mut request_line = String::new();
        if reader.read_line(&mut request_line)? == 0 {
            return Ok(());
        }
        let mut length = 0usize;
        let mut headers = Vec::new();
        loop {
            let mut h = String::new();
            reader.read_line(&mut h)?;
            let h = h.trim_end();
            if h.is_empty() {
                break;
            }
            if let Some((k, v)) = h.split_once(':') {
                if k.eq_ignore_ascii_case("content-length") {
                    length = v.trim().parse().unwrap_or(0);
                }
                headers.push((k.trim().to_ascii_lowercase(), v.trim().to_string()));
            }
        }
        let mut body = vec![0; length];
        reader.read_exact(&mut body)?;
        let (status, content_type, out) = answer(&request_line, &headers, &body);
        write!(
            conn,
            "HTTP/1.1 {status}\r\ncontent-type: {content_type}\r\ncache-control: no-cache\r\ncontent-length: {}\r\n\r\n",
            out.len()
        )?;
        conn.write_all(out.as_bytes())?;
        conn.flush()?;
    }
}
