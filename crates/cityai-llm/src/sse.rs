//! An incremental decoder for server-sent events, the framing of a streamed chat completion.
//!
//! Network chunks split the stream anywhere, inside a line or inside a UTF-8 character, so
//! the decoder buffers bytes until a line is complete and decodes whole lines only. It returns
//! the `data` of each event, joining multi-line data with `\n` as the SSE standard says, and
//! ignores comments and the `event`, `id` and `retry` fields. Unlike a browser, it rejects a
//! line with any other field name, because an OpenAI-compatible server sends none, and such a
//! line means that the body is not an event stream.

use crate::LlmError;

/// The maximum length of one line. An OpenAI chunk is a few hundred bytes, so a longer line
/// means the body is not an event stream, and the limit bounds the memory it takes.
const MAX_LINE_BYTES: usize = 1024 * 1024;

#[derive(Debug, Default)]
pub(crate) struct SseDecoder {
    /// Bytes after the last complete line.
    pending: Vec<u8>,
    /// The number of complete lines read, for error messages.
    lines: usize,
    /// The data lines of the event being read, or `None` before its first data line.
    data: Option<String>,
}

impl SseDecoder {
    /// Decodes the next piece of the body and returns the data of each event it completes.
    pub fn push(&mut self, bytes: &[u8]) -> Result<Vec<String>, LlmError> {
        self.pending.extend_from_slice(bytes);
        let mut events = Vec::new();
        let mut start = 0;

        while let Some(offset) = self.pending[start..].iter().position(|&b| b == b'\n') {
            let end = start + offset;
            let line = strip_cr(&self.pending[start..end]).to_vec();
            start = end + 1;
            if let Some(event) = self.read_line(&line)? {
                events.push(event);
            }
        }
        self.pending.drain(..start);

        if self.pending.len() > MAX_LINE_BYTES {
            return Err(LlmError::MalformedStream {
                line: self.lines + 1,
                detail: format!(
                    "a line is longer than {MAX_LINE_BYTES} bytes: check that the server \
                     streams server-sent events"
                ),
            });
        }
        Ok(events)
    }

    /// Returns the number of complete lines read so far.
    pub fn lines(&self) -> usize {
        self.lines
    }

    /// Ends the body and returns the data of an event that was not closed by a blank line.
    pub fn finish(&mut self) -> Result<Option<String>, LlmError> {
        if !self.pending.is_empty() {
            let line = strip_cr(&self.pending).to_vec();
            self.pending.clear();
            if let Some(event) = self.read_line(&line)? {
                return Ok(Some(event));
            }
        }
        Ok(self.data.take())
    }

    /// Reads one complete line and returns an event's data when the line is blank.
    fn read_line(&mut self, raw: &[u8]) -> Result<Option<String>, LlmError> {
        self.lines += 1;
        let line =
            std::str::from_utf8(raw).map_err(|_| LlmError::InvalidUtf8 { line: self.lines })?;

        if line.is_empty() {
            return Ok(self.data.take());
        }
        if line.starts_with(':') {
            return Ok(None);
        }

        let (field, value) = match line.split_once(':') {
            Some((field, value)) => (field, value.strip_prefix(' ').unwrap_or(value)),
            None => (line, ""),
        };
        match field {
            "data" => {
                match &mut self.data {
                    Some(data) => {
                        data.push('\n');
                        data.push_str(value);
                    }
                    None => self.data = Some(value.to_string()),
                }
                Ok(None)
            }
            "event" | "id" | "retry" => Ok(None),
            _ => Err(LlmError::MalformedStream {
                line: self.lines,
                detail: "expected a `data:` line of server-sent events: check that the server \
                         supports streaming"
                    .to_string(),
            }),
        }
    }
}

fn strip_cr(line: &[u8]) -> &[u8] {
    line.strip_suffix(b"\r").unwrap_or(line)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode_in_pieces(body: &[u8], piece: usize) -> Result<Vec<String>, LlmError> {
        let mut decoder = SseDecoder::default();
        let mut events = Vec::new();
        for chunk in body.chunks(piece) {
            events.extend(decoder.push(chunk)?);
        }
        events.extend(decoder.finish()?);
        Ok(events)
    }

    #[test]
    fn decodes_events_split_anywhere() {
        let body = "data: {\"a\":\"办理\"}\n\n: keep-alive\n\ndata: {\"a\":\"证件\"}\r\n\r\ndata: [DONE]\n\n";
        for piece in 1..=body.len() {
            let events = decode_in_pieces(body.as_bytes(), piece).ok();
            assert_eq!(
                events,
                Some(vec![
                    "{\"a\":\"办理\"}".to_string(),
                    "{\"a\":\"证件\"}".to_string(),
                    "[DONE]".to_string()
                ]),
                "piece size {piece}"
            );
        }
    }

    #[test]
    fn joins_multi_line_data() {
        let events = decode_in_pieces(b"event: message\ndata: a\ndata:b\nid: 7\n\n", 64).ok();
        assert_eq!(events, Some(vec!["a\nb".to_string()]));
    }

    #[test]
    fn returns_unterminated_last_event() {
        let events = decode_in_pieces(b"data: [DONE]", 64).ok();
        assert_eq!(events, Some(vec!["[DONE]".to_string()]));
    }

    #[test]
    fn rejects_invalid_utf8_line() {
        let result = decode_in_pieces(b"data: ok\n\ndata: \xff\xfe\n\n", 4);
        assert!(
            matches!(result, Err(LlmError::InvalidUtf8 { line: 3 })),
            "{result:?}"
        );
    }

    #[test]
    fn rejects_line_without_data_field() {
        let result = decode_in_pieces(b"{\"choices\":[]}\n\n", 64);
        assert!(
            matches!(result, Err(LlmError::MalformedStream { line: 1, .. })),
            "{result:?}"
        );
    }

    #[test]
    fn rejects_endless_line() {
        let mut decoder = SseDecoder::default();
        let piece = vec![b'x'; 64 * 1024];
        let mut outcome = Ok(Vec::new());
        for _ in 0..=(MAX_LINE_BYTES / piece.len()) {
            outcome = decoder.push(&piece);
            if outcome.is_err() {
                break;
            }
        }
        assert!(
            matches!(outcome, Err(LlmError::MalformedStream { .. })),
            "{outcome:?}"
        );
    }
}
