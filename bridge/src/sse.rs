//! Server-Sent Events are a line format: `field: value` lines, an empty line ends an event,
//! lines starting with `:` are comments. This splits the bytes of `/v1/events` into events.

/// One dispatched event (only the fields the bridge reads).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    pub id: Option<String>,
    pub event: String,
    pub data: String,
}

/// Feeds bytes in, takes whole events out. A line longer than `max_line` is an error (a
/// result is a few KiB; this bounds memory against a broken or hostile peer).
#[derive(Debug)]
pub struct Splitter {
    buf: Vec<u8>,
    id: Option<String>,
    event: String,
    data: Vec<String>,
    max_line: usize,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SseError {
    #[error("an event stream line longer than {0} bytes")]
    LineTooLong(usize),
    #[error("an event stream line that is not UTF-8")]
    NotUtf8,
}

impl Splitter {
    pub fn new(max_line: usize) -> Splitter {
        Splitter { buf: vec![], id: None, event: String::new(), data: vec![], max_line }
    }

    /// Adds `bytes`; returns every event they complete, in order.
    pub fn push(&mut self, bytes: &[u8]) -> Result<Vec<Event>, SseError> {
        self.buf.extend_from_slice(bytes);
        let mut events = vec![];
        while let Some(end) = self.buf.iter().position(|&b| b == b'\n') {
            let mut line: Vec<u8> = self.buf.drain(..=end).collect();
            line.pop();
            if line.last() == Some(&b'\r') {
                line.pop();
            }
            let line = String::from_utf8(line).map_err(|_| SseError::NotUtf8)?;
            if let Some(e) = self.line(&line) {
                events.push(e);
            }
        }
        if self.buf.len() > self.max_line {
            return Err(SseError::LineTooLong(self.max_line));
        }
        Ok(events)
    }

    fn line(&mut self, line: &str) -> Option<Event> {
        if line.is_empty() {
            let had_data = !self.data.is_empty();
            let event = Event {
                id: self.id.take(),
                event: std::mem::take(&mut self.event),
                data: std::mem::take(&mut self.data).join("\n"),
            };
            return had_data.then_some(event);
        }
        if line.starts_with(':') {
            return None;
        }
        let (field, value) = line.split_once(':').unwrap_or((line, ""));
        let value = value.strip_prefix(' ').unwrap_or(value);
        match field {
            "id" => self.id = Some(value.to_string()),
            "event" => self.event = value.to_string(),
            "data" => self.data.push(value.to_string()),
            _ => {}
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_split_across_reads_come_out_whole() {
        let stream = b": keep-alive\n\nevent: session\ndata: {\"id\":null}\n\nid: 7\r\nevent: result\r\ndata: {\"seq\":7}\r\n\r\n";
        let mut s = Splitter::new(1024);
        let mut got = vec![];
        for chunk in stream.chunks(5) {
            got.extend(s.push(chunk).unwrap());
        }
        assert_eq!(
            got,
            vec![
                Event { id: None, event: "session".into(), data: "{\"id\":null}".into() },
                Event { id: Some("7".into()), event: "result".into(), data: "{\"seq\":7}".into() },
            ]
        );
    }

    #[test]
    fn an_endless_line_is_refused() {
        let mut s = Splitter::new(16);
        assert_eq!(s.push(&[b'x'; 17]).unwrap_err(), SseError::LineTooLong(16));
    }

    #[test]
    fn several_data_lines_join_with_newlines() {
        let mut s = Splitter::new(1024);
        let got = s.push(b"data: a\ndata: b\n\n").unwrap();
        assert_eq!(got[0].data, "a\nb");
    }
}
