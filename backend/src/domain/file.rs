//! A file sent with a message: its name, the kind of file its name says it is, and its bytes.
//!
//! The phone opens a file with whatever app handles its kind, so only the kinds a company sends
//! its staff (documents, tables, pictures) are taken, each told by its extension and, where the
//! kind has one, by its first bytes: a "payslip.pdf" that is not a PDF would reach the employee
//! as a file no app can open. Programs and web pages are refused: a file is opened by a person
//! who trusts its sender.

use super::{ParseError, clean};

/// An extension, the content type it is served as, and the bytes such a file begins with.
struct Kind {
    extension: &'static str,
    content_type: &'static str,
    magic: &'static [&'static [u8]],
}

/// Office's and LibreOffice's documents are zip archives.
const ZIP: &[&[u8]] = &[b"PK\x03\x04"];
/// Office 97–2003's documents are compound files.
const OLE: &[&[u8]] = &[b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1"];

const KINDS: &[Kind] = &[
    Kind {
        extension: "pdf",
        content_type: "application/pdf",
        magic: &[b"%PDF-"],
    },
    Kind {
        extension: "jpg",
        content_type: "image/jpeg",
        magic: &[b"\xFF\xD8\xFF"],
    },
    Kind {
        extension: "jpeg",
        content_type: "image/jpeg",
        magic: &[b"\xFF\xD8\xFF"],
    },
    Kind {
        extension: "png",
        content_type: "image/png",
        magic: &[b"\x89PNG\r\n\x1A\n"],
    },
    Kind {
        extension: "gif",
        content_type: "image/gif",
        magic: &[b"GIF87a", b"GIF89a"],
    },
    Kind {
        extension: "webp",
        content_type: "image/webp",
        magic: &[b"RIFF"],
    },
    Kind {
        extension: "heic",
        content_type: "image/heic",
        magic: &[],
    },
    Kind {
        extension: "txt",
        content_type: "text/plain; charset=utf-8",
        magic: &[],
    },
    Kind {
        extension: "csv",
        content_type: "text/csv",
        magic: &[],
    },
    Kind {
        extension: "rtf",
        content_type: "application/rtf",
        magic: &[b"{\\rtf"],
    },
    Kind {
        extension: "doc",
        content_type: "application/msword",
        magic: OLE,
    },
    Kind {
        extension: "docx",
        content_type: "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        magic: ZIP,
    },
    Kind {
        extension: "xls",
        content_type: "application/vnd.ms-excel",
        magic: OLE,
    },
    Kind {
        extension: "xlsx",
        content_type: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        magic: ZIP,
    },
    Kind {
        extension: "ppt",
        content_type: "application/vnd.ms-powerpoint",
        magic: OLE,
    },
    Kind {
        extension: "pptx",
        content_type: "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        magic: ZIP,
    },
    Kind {
        extension: "odt",
        content_type: "application/vnd.oasis.opendocument.text",
        magic: ZIP,
    },
    Kind {
        extension: "ods",
        content_type: "application/vnd.oasis.opendocument.spreadsheet",
        magic: ZIP,
    },
];

/// The extensions taken, as the refusals list them.
pub fn extensions() -> String {
    KINDS
        .iter()
        .map(|k| k.extension)
        .collect::<Vec<_>>()
        .join(", ")
}

/// A file's name as the employee sees it: 1 to 150 characters, no folders, one of the kinds
/// taken.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileName {
    name: String,
    kind: &'static Kind,
}

impl PartialEq for Kind {
    fn eq(&self, other: &Self) -> bool {
        self.extension == other.extension
    }
}
impl Eq for Kind {}
impl std::fmt::Debug for Kind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.extension)
    }
}

impl FileName {
    pub const MAX_CHARS: usize = 150;

    pub fn parse(raw: &str) -> Result<Self, ParseError> {
        let name = clean(raw);
        if name.is_empty() {
            return Err(ParseError::new(phrase!(
                "Не указано имя файла (name)",
                "The file's name (name) is missing"
            )));
        }
        if name.chars().count() > Self::MAX_CHARS {
            return Err(ParseError::new(phrase!(
                "Имя файла длиннее {} символов",
                "The file's name is longer than {} characters",
                Self::MAX_CHARS
            )));
        }
        if name.contains(['/', '\\']) || name.chars().any(char::is_control) || name.starts_with('.')
        {
            return Err(ParseError::new(phrase!(
                "Имя файла «{name}» не должно содержать папок, управляющих символов и начинаться с точки",
                "The file's name “{name}” must hold no folders nor control characters, nor begin with a dot"
            )));
        }
        let extension = name
            .rsplit_once('.')
            .map(|(_, e)| e.to_lowercase())
            .unwrap_or_default();
        let Some(kind) = KINDS.iter().find(|k| k.extension == extension) else {
            return Err(ParseError::new(phrase!(
                "Файлы такого типа не отправляются: «{name}». Можно: {}",
                "Files of this kind are not sent: “{name}”. Allowed: {}",
                extensions()
            )));
        };
        Ok(Self { name, kind })
    }

    pub fn as_str(&self) -> &str {
        &self.name
    }

    pub fn content_type(&self) -> &'static str {
        self.kind.content_type
    }
}

/// A file to store: its name and its bytes, which are as its kind says.
#[derive(Debug, Clone)]
pub struct FileUpload {
    pub name: FileName,
    pub data: Vec<u8>,
}

impl FileUpload {
    /// `max_bytes`: the server's limit (`SIMO_FILE_MAX_BYTES`).
    pub fn new(name: FileName, data: Vec<u8>, max_bytes: usize) -> Result<Self, ParseError> {
        if data.is_empty() {
            return Err(ParseError::new(phrase!(
                "Файл «{}» пуст",
                "The file “{}” is empty",
                name.as_str()
            )));
        }
        if data.len() > max_bytes {
            return Err(ParseError::new(phrase!(
                "Файл «{}» больше {} МБ",
                "The file “{}” is larger than {} MB",
                name.as_str(),
                megabytes(max_bytes)
            )));
        }
        let magic = name.kind.magic;
        if !magic.is_empty() && !magic.iter().any(|m| data.starts_with(m)) {
            return Err(ParseError::new(phrase!(
                "Содержимое файла «{}» не похоже на файл {}: телефон сотрудника не сможет его открыть",
                "The content of “{}” does not look like a {} file: the employee's phone could not open it",
                name.as_str(),
                name.kind.extension.to_uppercase()
            )));
        }
        Ok(Self { name, data })
    }
}

/// `bytes` in megabytes as a person reads them: 5 MB, 0.5 MB.
pub fn megabytes(bytes: usize) -> String {
    let mb = bytes as f64 / (1024.0 * 1024.0);
    if mb.fract() == 0.0 {
        format!("{mb:.0}")
    } else {
        format!("{mb:.1}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_taken_by_their_kind() {
        let pdf = FileName::parse("  Расчётный листок.PDF ").unwrap();
        assert_eq!(pdf.as_str(), "Расчётный листок.PDF");
        assert_eq!(pdf.content_type(), "application/pdf");
        for bad in [
            "",
            "листок",
            "run.exe",
            "page.html",
            "../a.pdf",
            "a\\b.pdf",
            ".pdf",
            "a\n.pdf",
        ] {
            assert!(FileName::parse(bad).is_err(), "{bad:?} was taken");
        }
        // Other control characters are dropped, as from any text.
        assert_eq!(FileName::parse("a\u{7}.pdf").unwrap().as_str(), "a.pdf");
        assert!(FileName::parse(&format!("{}.pdf", "я".repeat(146))).is_ok());
        assert!(FileName::parse(&format!("{}.pdf", "я".repeat(147))).is_err());
    }

    #[test]
    fn content_must_be_what_the_name_says() {
        let pdf = || FileName::parse("a.pdf").unwrap();
        assert!(FileUpload::new(pdf(), b"%PDF-1.7\n".to_vec(), 100).is_ok());
        let not_pdf = FileUpload::new(pdf(), b"MZ\x90\x00".to_vec(), 100).unwrap_err();
        assert!(
            not_pdf.0.ru().contains("не похоже на файл PDF"),
            "{not_pdf}"
        );
        assert!(FileUpload::new(pdf(), Vec::new(), 100).is_err());
        let big = FileUpload::new(pdf(), b"%PDF-".repeat(30), 100).unwrap_err();
        assert!(big.0.ru().contains("больше"), "{big}");
        // A kind without a signature takes any bytes.
        let txt = FileName::parse("notes.txt").unwrap();
        assert!(FileUpload::new(txt, b"\xFF\xFE".to_vec(), 100).is_ok());
        assert_eq!(megabytes(5 * 1024 * 1024), "5");
        assert_eq!(megabytes(512 * 1024), "0.5");
    }
}
