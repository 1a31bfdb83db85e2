//! Just enough HTTP/1.1 for the demo: one GET shape, keep-alive, bodies sized
//! by `content-length`. Anything else (chunked bodies, a missing length on a
//! kept-alive answer) is an error, so the connection is dropped rather than
//! misread.

use std::io;

use tokio::io::{AsyncBufRead, AsyncBufReadExt, AsyncReadExt, AsyncWrite, AsyncWriteExt};

/// The start line and the few headers the demo acts on.
#[derive(Debug, Default)]
pub struct Head {
    pub start: String,
    pub content_length: usize,
    pub close: bool,
    pub cpu_permille: Option<u64>,
}

impl Head {
    /// The status of a response head (`HTTP/1.1 200 OK` -> 200).
    pub fn status(&self) -> Option<u16> {
        self.start.split_whitespace().nth(1)?.parse().ok()
    }

    /// The path of a request head (`GET /stats HTTP/1.1` -> `/stats`).
    pub fn path(&self) -> &str {
        self.start.split_whitespace().nth(1).unwrap_or("/")
    }
}

fn bad(what: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, what.to_owned())
}

/// Reads one head; `None` when the peer closed between messages.
pub async fn read_head<R: AsyncBufRead + Unpin>(r: &mut R) -> io::Result<Option<Head>> {
    let mut line = String::new();
    if r.read_line(&mut line).await? == 0 {
        return Ok(None);
    }
    let mut head = Head { start: line.trim_end().to_owned(), ..Head::default() };
    loop {
        line.clear();
        if r.read_line(&mut line).await? == 0 {
            return Err(bad("eof inside a head"));
        }
        let l = line.trim_end();
        if l.is_empty() {
            return Ok(Some(head));
        }
        let Some((name, value)) = l.split_once(':') else { return Err(bad("header without a colon")) };
        let value = value.trim();
        match name.to_ascii_lowercase().as_str() {
            "content-length" => head.content_length = value.parse().map_err(|_| bad("content-length"))?,
            "connection" => head.close |= value.eq_ignore_ascii_case("close"),
            "transfer-encoding" => return Err(bad("transfer-encoding is not spoken here")),
            "x-weir-cpu" => head.cpu_permille = value.parse().ok(),
            _ => {}
        }
    }
}

/// Reads and drops a body of `len` bytes.
pub async fn skip_body<R: AsyncBufRead + Unpin>(r: &mut R, len: usize) -> io::Result<()> {
    let copied = tokio::io::copy(&mut r.take(len as u64), &mut tokio::io::sink()).await?;
    if copied as usize == len {
        Ok(())
    } else {
        Err(bad("short body"))
    }
}

/// Writes one response with a body and the upstream's utilisation header.
pub async fn write_response<W: AsyncWrite + Unpin>(w: &mut W, status: u16, body: &str) -> io::Result<()> {
    let reason = match status {
        200 => "OK",
        503 => "Service Unavailable",
        _ => "Other",
    };
    let msg = format!(
        "HTTP/1.1 {status} {reason}\r\ncontent-length: {}\r\ncontent-type: text/plain\r\n\r\n{body}",
        body.len()
    );
    w.write_all(msg.as_bytes()).await
}

/// The one request the load generator sends.
pub const GET: &[u8] = b"GET /work HTTP/1.1\r\nhost: demo\r\n\r\n";
