//! The bytes of a chart file, read when first needed.
//!
//! A chart directory often carries megabytes that a render never looks at (kube-prometheus-
//! stack: 5 MB of `crds/` files, read by templates only with `--include-crds` or through a
//! disabled job). Helm reads them all; reading them is most of what loading such a chart
//! costs. So files above [`DEFER_ABOVE`] bytes that are not templates or values are opened
//! at load time (so an unreadable file fails the load, as in Helm, and a file removed later
//! stays readable) and read on first use.

use std::io::Read;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock};

/// Smaller files are read at once: for them the read is cheaper than keeping a handle.
pub const DEFER_ABOVE: u64 = 64 * 1024;
/// At most this many files of one load are deferred (each keeps a file handle open).
pub const MAX_DEFERRED: usize = 256;

/// Shared, immutable file bytes (cloning shares them).
#[derive(Clone)]
pub struct FileData(Arc<Inner>);

enum Inner {
    Loaded(Vec<u8>),
    Deferred {
        path: PathBuf,
        /// Taken by the first read.
        file: Mutex<Option<std::fs::File>>,
        bytes: OnceLock<Vec<u8>>,
    },
}

impl FileData {
    pub fn new(bytes: Vec<u8>) -> FileData {
        FileData(Arc::new(Inner::Loaded(bytes)))
    }

    /// A file opened now and read on first use (a UTF-8 byte order mark is dropped then).
    pub fn deferred(path: PathBuf, file: std::fs::File) -> FileData {
        FileData(Arc::new(Inner::Deferred {
            path,
            file: Mutex::new(Some(file)),
            bytes: OnceLock::new(),
        }))
    }

    /// The bytes. A deferred file is read here; the handle opened at load time keeps it
    /// readable, so this can only fail on a device error, which yields no bytes and a
    /// warning on standard error.
    pub fn as_slice(&self) -> &[u8] {
        match &*self.0 {
            Inner::Loaded(bytes) => bytes,
            Inner::Deferred { path, file, bytes } => bytes.get_or_init(|| {
                let taken = file.lock().ok().and_then(|mut f| f.take());
                let mut data = Vec::new();
                if let Some(mut f) = taken {
                    if let Err(err) = f.read_to_end(&mut data) {
                        eprintln!("warning: cannot read {}: {err}", path.display());
                        data.clear();
                    }
                }
                super::load::strip_bom(data)
            }),
        }
    }

    /// The bytes as text, converted as `String::from_utf8_lossy` does when they are not
    /// UTF-8 (borrowed when they are: `from_utf8` checks much faster than the lossy scan).
    pub fn text(&self) -> std::borrow::Cow<'_, str> {
        let bytes = self.as_slice();
        match std::str::from_utf8(bytes) {
            Ok(text) => std::borrow::Cow::Borrowed(text),
            Err(_) => String::from_utf8_lossy(bytes),
        }
    }

    /// Whether the bytes are still unread.
    #[cfg(test)]
    pub(crate) fn is_deferred_and_unread(&self) -> bool {
        matches!(&*self.0, Inner::Deferred { bytes, .. } if bytes.get().is_none())
    }
}

impl std::ops::Deref for FileData {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        self.as_slice()
    }
}

// SAFETY: the bytes of a `FileData` are never changed or moved once it exists: a loaded
// file's vector is never mutated (nothing hands out `&mut` to it), and a deferred file's is
// read once into a `OnceLock`, which then gives the same vector on every call.
unsafe impl crate::template::StableBytes for FileData {
    fn stable_bytes(&self) -> &[u8] {
        self.as_slice()
    }
}

impl PartialEq for FileData {
    fn eq(&self, other: &FileData) -> bool {
        self.as_slice() == other.as_slice()
    }
}

impl std::fmt::Debug for FileData {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &*self.0 {
            Inner::Deferred { path, bytes, .. } if bytes.get().is_none() => {
                write!(f, "FileData(unread {})", path.display())
            }
            _ => write!(f, "FileData({} bytes)", self.as_slice().len()),
        }
    }
}
