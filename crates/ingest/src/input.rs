//! What every text reader shares about its input bytes: gzip (a `.gz` file, or any stream that
//! starts with the gzip magic number, is decompressed as it is read, members concatenated as
//! `gzip -c a b` writes them), and the character encoding an XML prolog declares.

use std::io::{self, BufRead, BufReader, Read};

use flate2::bufread::MultiGzDecoder;

use crate::IngestError;

/// The two bytes every gzip member starts with (RFC 1952, section 2.3.1).
const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

/// A stream read as is, or decompressed from gzip.
pub enum Decompressed<R: BufRead> {
    /// Not gzip.
    Plain(R),
    /// Gzip, decompressed as it is read.
    Gzip(Box<BufReader<MultiGzDecoder<R>>>),
}

impl<R: BufRead> Read for Decompressed<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Self::Plain(r) => r.read(buf),
            Self::Gzip(r) => r.read(buf),
        }
    }
}

impl<R: BufRead> BufRead for Decompressed<R> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        match self {
            Self::Plain(r) => r.fill_buf(),
            Self::Gzip(r) => r.fill_buf(),
        }
    }

    fn consume(&mut self, n: usize) {
        match self {
            Self::Plain(r) => r.consume(n),
            Self::Gzip(r) => r.consume(n),
        }
    }
}

/// Reads the next line of `input` into `line` (cleared first, its end-of-line kept), at most
/// `max` bytes of it: `None` at the end of the input, `Some(true)` for a line that fits,
/// `Some(false)` for a longer one, whose rest is read past in bounded chunks, never held.
pub fn next_line<R: BufRead>(
    input: &mut R,
    max: usize,
    line: &mut Vec<u8>,
    file: &str,
) -> Result<Option<bool>, IngestError> {
    let io = |e| IngestError::Io { file: file.to_string(), source: e };
    line.clear();
    let n = input.take(max as u64 + 1).read_until(b'\n', line).map_err(io)?;
    if n == 0 {
        return Ok(None);
    }
    if line.len() <= max {
        return Ok(Some(true));
    }
    let mut rest = Vec::new();
    while !line.ends_with(b"\n") && !rest.ends_with(b"\n") {
        rest.clear();
        if input.take(1 << 20).read_until(b'\n', &mut rest).map_err(io)? == 0 {
            break;
        }
    }
    Ok(Some(false))
}

/// Whether bytes start like gzip.
pub fn is_gzip(head: &[u8]) -> bool {
    head.starts_with(&GZIP_MAGIC)
}

/// `input`, decompressed when it is gzip. `file` names it in errors.
pub fn decompressed<R: Read>(input: R, file: &str) -> Result<Decompressed<BufReader<R>>, IngestError> {
    let mut input = BufReader::with_capacity(1 << 20, input);
    let head = input.fill_buf().map_err(|e| IngestError::Io { file: file.to_string(), source: e })?;
    Ok(if is_gzip(head) {
        Decompressed::Gzip(Box::new(BufReader::with_capacity(1 << 20, MultiGzDecoder::new(input))))
    } else {
        Decompressed::Plain(input)
    })
}

/// XML input as UTF-8, whatever its encoding.
pub enum XmlInput<R: BufRead> {
    /// Already UTF-8 (declared so, or not declared), its byte-order mark skipped.
    Utf8(R),
    /// Transcoded to UTF-8 from the declared (or byte-order-marked) encoding.
    Decoded(BufReader<encoding_rs_io::DecodeReaderBytes<R, Vec<u8>>>),
}

impl<R: BufRead> Read for XmlInput<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Self::Utf8(r) => r.read(buf),
            Self::Decoded(r) => r.read(buf),
        }
    }
}

impl<R: BufRead> BufRead for XmlInput<R> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        match self {
            Self::Utf8(r) => r.fill_buf(),
            Self::Decoded(r) => r.fill_buf(),
        }
    }

    fn consume(&mut self, n: usize) {
        match self {
            Self::Utf8(r) => r.consume(n),
            Self::Decoded(r) => r.consume(n),
        }
    }
}

/// The encoding named by an XML declaration (`<?xml version="1.0" encoding="Cp1252"?>`) at the
/// start of `head`, if there is one.
pub fn declared_encoding(head: &[u8]) -> Option<String> {
    let head = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
    let end = head.windows(2).position(|w| w == b"?>")?;
    let decl = std::str::from_utf8(head.strip_prefix(b"<?xml")?.get(..end - 5)?).ok()?;
    let at = decl.find("encoding")?;
    let rest = decl[at + "encoding".len()..].trim_start().strip_prefix('=')?.trim_start();
    let quote = rest.chars().next().filter(|c| *c == '"' || *c == '\'')?;
    let value = &rest[1..];
    Some(value[..value.find(quote)?].to_string())
}

/// `input` as UTF-8: decoded from the encoding its byte-order mark or XML declaration names
/// (UTF-16 by its mark; any WHATWG label, which covers `windows-1252`, Java's `Cp1252` and
/// `ISO-8859-1`), or passed through when it is UTF-8 (a UTF-8 byte-order mark is skipped). An
/// encoding that is not known is an error naming it.
pub fn decoded_xml<R: BufRead>(mut input: R, file: &str) -> Result<XmlInput<R>, IngestError> {
    let head = input.fill_buf().map_err(|e| IngestError::Io { file: file.to_string(), source: e })?;
    let bom = encoding_rs::Encoding::for_bom(head);
    let declared = declared_encoding(head);
    let encoding = match (bom, &declared) {
        (Some((encoding, _)), _) => encoding,
        (None, None) => encoding_rs::UTF_8,
        (None, Some(label)) => {
            encoding_rs::Encoding::for_label(label.trim().as_bytes()).ok_or_else(|| IngestError::Layout {
                file: file.to_string(),
                message: format!("the XML declaration names the encoding '{label}', which is not known"),
            })?
        }
    };
    if encoding == encoding_rs::UTF_8 {
        if bom.is_some() {
            input.consume(3);
        }
        return Ok(XmlInput::Utf8(input));
    }
    let decoder =
        encoding_rs_io::DecodeReaderBytesBuilder::new().encoding(Some(encoding)).bom_override(true).build(input);
    Ok(XmlInput::Decoded(BufReader::with_capacity(1 << 16, decoder)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn declarations_are_read() {
        assert_eq!(declared_encoding(b"<?xml version=\"1.0\" encoding=\"Cp1252\"?><a/>").as_deref(), Some("Cp1252"));
        assert_eq!(declared_encoding(b"<?xml version='1.0' encoding = 'ISO-8859-1' ?>").as_deref(), Some("ISO-8859-1"));
        assert_eq!(declared_encoding(b"<?xml version=\"1.0\"?><a encoding=\"x\"/>"), None);
        assert_eq!(declared_encoding(b"<a/>"), None);
    }

    fn utf8_of(bytes: &[u8]) -> Result<String, IngestError> {
        let mut s = String::new();
        decoded_xml(bytes, "t.xml")?.read_to_string(&mut s).unwrap();
        Ok(s)
    }

    #[test]
    fn encodings_become_utf8() {
        // é is 0xE9 in windows-1252 and ISO-8859-1; Java's name Cp1252 is a WHATWG label.
        for label in ["Cp1252", "windows-1252", "ISO-8859-1"] {
            let mut bytes = format!("<?xml version=\"1.0\" encoding=\"{label}\"?><a>").into_bytes();
            bytes.extend([0x52, 0xE9, 0x6D, 0x79, 0x80]);
            assert!(utf8_of(&bytes).unwrap().ends_with("<a>Rémy€"), "{label}");
        }
        assert_eq!(utf8_of("\u{feff}<a>é</a>".as_bytes()).unwrap(), "<a>é</a>");
        let utf16: Vec<u8> =
            [0xFF, 0xFE].into_iter().chain("<a>é</a>".encode_utf16().flat_map(u16::to_le_bytes)).collect();
        assert_eq!(utf8_of(&utf16).unwrap(), "<a>é</a>");
        let e = utf8_of(b"<?xml version=\"1.0\" encoding=\"klingon\"?><a/>").unwrap_err().to_string();
        assert!(e.starts_with("t.xml") && e.contains("'klingon'"), "{e}");
    }

    /// A line longer than the limit is reported and read past, and the next line is read whole.
    #[test]
    fn over_long_lines_are_read_past() {
        let text = format!("short\n{}\nlast", "x".repeat(5 << 20));
        let mut input = std::io::BufReader::new(text.as_bytes());
        let mut line = Vec::new();
        let mut seen = Vec::new();
        while let Some(fits) = next_line(&mut input, 100, &mut line, "t").unwrap() {
            seen.push((fits, if fits { String::from_utf8(line.clone()).unwrap() } else { String::new() }));
            assert!(line.len() <= 101, "at most the limit and one byte are held");
        }
        assert_eq!(seen, [(true, "short\n".to_string()), (false, String::new()), (true, "last".to_string())]);
    }

    #[test]
    fn gzip_is_recognised_by_its_magic_number() {
        use std::io::Write;
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(b"hello ").unwrap();
        let mut two = gz.finish().unwrap();
        let mut second = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        second.write_all(b"world").unwrap();
        two.extend(second.finish().unwrap());
        let mut s = String::new();
        decompressed(&two[..], "t.gz").unwrap().read_to_string(&mut s).unwrap();
        assert_eq!(s, "hello world", "both members of a concatenated gzip file");
        s.clear();
        decompressed(&b"plain"[..], "t").unwrap().read_to_string(&mut s).unwrap();
        assert_eq!(s, "plain");
    }
}
