//! Bodies that are not read or written whole: uploads from bytes, files or streams, the file
//! parts of multipart bodies, and downloads as a stream of chunks.

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use bytes::Bytes;
use futures_util::stream::{Stream, StreamExt};
use reqwest::header::HeaderMap;
use tokio::io::{AsyncWrite, AsyncWriteExt};

/// The error a streamed upload's source may fail with.
pub type StreamError = Box<dyn std::error::Error + Send + Sync>;

type ByteStream = Pin<Box<dyn Stream<Item = Result<Bytes, StreamError>> + Send>>;

/// A request body sent as it is read: bytes already in memory, a file read as it is sent, or
/// any stream of chunks. Only a stream cannot be sent twice: a request with one is attempted
/// once, whatever the retry policy says.
#[derive(Clone)]
pub struct Upload {
    source: Source,
    length: Option<u64>,
    /// The media type to send instead of the operation's.
    content_type: Option<String>,
}

#[derive(Clone)]
enum Source {
    Bytes(Bytes),
    File(PathBuf),
    /// Taken by the first attempt.
    Stream(Arc<Mutex<Option<ByteStream>>>),
}

impl fmt::Debug for Upload {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let source = match &self.source {
            Source::Bytes(bytes) => format!("{} bytes", bytes.len()),
            Source::File(path) => format!("file {}", path.display()),
            Source::Stream(_) => "stream".to_owned(),
        };
        f.debug_struct("Upload")
            .field("source", &source)
            .field("length", &self.length)
            .field("content_type", &self.content_type)
            .finish()
    }
}

impl Upload {
    /// Bytes in memory (cheap to clone: [`Bytes`] is reference-counted).
    pub fn bytes(bytes: impl Into<Bytes>) -> Self {
        let bytes = bytes.into();
        Upload { length: Some(bytes.len() as u64), source: Source::Bytes(bytes), content_type: None }
    }

    /// The file at `path`, read as it is sent (opened again by each attempt). Its length is
    /// read now and sent as `Content-Length`.
    pub fn file(path: impl Into<PathBuf>) -> io::Result<Self> {
        let path = path.into();
        let metadata = std::fs::metadata(&path)?;
        if !metadata.is_file() {
            return Err(io::Error::new(io::ErrorKind::InvalidInput, format!("{} is not a file", path.display())));
        }
        Ok(Upload { length: Some(metadata.len()), source: Source::File(path), content_type: None })
    }

    /// Chunks from any stream, sent as they come (with `Content-Length` when `length` is
    /// given, chunked otherwise). A request with a stream is sent once: nothing can replay it.
    pub fn stream<S, E>(stream: S, length: Option<u64>) -> Self
    where
        S: Stream<Item = Result<Bytes, E>> + Send + 'static,
        E: Into<StreamError>,
    {
        let stream: ByteStream = Box::pin(stream.map(|chunk| chunk.map_err(Into::into)));
        Upload { source: Source::Stream(Arc::new(Mutex::new(Some(stream)))), length, content_type: None }
    }

    /// Sends the body as `media_type` (one the operation lists, such as `image/jpeg` where
    /// `image/png` is its first) instead of the operation's first media type.
    pub fn content_type(mut self, media_type: impl Into<String>) -> Self {
        self.content_type = Some(media_type.into());
        self
    }

    /// The media type set with [`Upload::content_type`].
    pub fn media_type(&self) -> Option<&str> {
        self.content_type.as_deref()
    }

    /// The length in bytes, when known.
    pub fn len(&self) -> Option<u64> {
        self.length
    }

    /// True when the length is known to be zero.
    pub fn is_empty(&self) -> bool {
        self.length == Some(0)
    }

    /// False for a stream, which a second attempt could not send again.
    pub(crate) fn repeatable(&self) -> bool {
        !matches!(self.source, Source::Stream(_))
    }

    /// The body of one attempt.
    pub(crate) fn body(&self) -> Result<reqwest::Body, String> {
        match &self.source {
            Source::Bytes(bytes) => Ok(reqwest::Body::from(bytes.clone())),
            Source::File(path) => {
                let file = std::fs::File::open(path).map_err(|e| format!("cannot open {}: {e}", path.display()))?;
                Ok(reqwest::Body::from(tokio::fs::File::from_std(file)))
            }
            Source::Stream(slot) => {
                let stream = slot.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).take();
                stream
                    .map(reqwest::Body::wrap_stream)
                    .ok_or_else(|| "the upload's stream was already sent by an earlier attempt".to_owned())
            }
        }
    }
}

impl From<Bytes> for Upload {
    fn from(bytes: Bytes) -> Self {
        Upload::bytes(bytes)
    }
}

impl From<Vec<u8>> for Upload {
    fn from(bytes: Vec<u8>) -> Self {
        Upload::bytes(bytes)
    }
}

impl From<&'static [u8]> for Upload {
    fn from(bytes: &'static [u8]) -> Self {
        Upload::bytes(bytes)
    }
}

impl From<String> for Upload {
    fn from(text: String) -> Self {
        Upload::bytes(text)
    }
}

/// A file part of a multipart body: its content, and the file name and media type it is sent
/// with (the part's `encoding` in the specification gives the media type when this does not).
#[derive(Clone, Debug)]
pub struct FilePart {
    /// The file name sent in the part's `Content-Disposition`.
    pub file_name: Option<String>,
    /// The part's `Content-Type`; `None`: the specification's, else `application/octet-stream`.
    pub content_type: Option<String>,
    /// The content.
    pub body: Upload,
}

impl FilePart {
    /// A part of `body`, without file name or media type.
    pub fn new(body: impl Into<Upload>) -> Self {
        FilePart { file_name: None, content_type: None, body: body.into() }
    }

    /// The file at `path`, named by its last component, read as it is sent.
    pub fn path(path: impl AsRef<Path>) -> io::Result<Self> {
        let path = path.as_ref();
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned());
        Ok(FilePart { file_name: name, content_type: None, body: Upload::file(path)? })
    }

    /// Sets the file name.
    pub fn file_name(mut self, name: impl Into<String>) -> Self {
        self.file_name = Some(name.into());
        self
    }

    /// Sets the media type.
    pub fn content_type(mut self, media_type: impl Into<String>) -> Self {
        self.content_type = Some(media_type.into());
        self
    }
}

/// A successful response whose body is read as it arrives: a [`Stream`] of chunks, with the
/// status and headers, and helpers that write it to a file or any writer. Memory stays at one
/// chunk, whatever the body's size.
pub struct Download {
    status: u16,
    headers: HeaderMap,
    stream: Pin<Box<dyn Stream<Item = reqwest::Result<Bytes>> + Send>>,
}

impl fmt::Debug for Download {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Download").field("status", &self.status).field("headers", &self.headers).finish_non_exhaustive()
    }
}

impl Download {
    pub(crate) fn new(response: reqwest::Response) -> Self {
        Download {
            status: response.status().as_u16(),
            headers: response.headers().clone(),
            stream: Box::pin(response.bytes_stream()),
        }
    }

    /// HTTP status code.
    pub fn status(&self) -> u16 {
        self.status
    }

    /// Response headers.
    pub fn headers(&self) -> &HeaderMap {
        &self.headers
    }

    /// The `Content-Type` the server sent.
    pub fn content_type(&self) -> Option<&str> {
        self.headers.get(reqwest::header::CONTENT_TYPE)?.to_str().ok()
    }

    /// The `Content-Length` the server sent.
    pub fn content_length(&self) -> Option<u64> {
        self.headers.get(reqwest::header::CONTENT_LENGTH)?.to_str().ok()?.parse().ok()
    }

    /// The next chunk, or `None` at the end of the body.
    pub async fn chunk(&mut self) -> reqwest::Result<Option<Bytes>> {
        self.stream.next().await.transpose()
    }

    /// Writes the body to `writer` as it arrives and flushes it; returns the number of bytes.
    pub async fn write_to<W: AsyncWrite + Unpin>(mut self, writer: &mut W) -> io::Result<u64> {
        let mut written = 0;
        while let Some(chunk) = self.chunk().await.map_err(io::Error::other)? {
            writer.write_all(&chunk).await?;
            written += chunk.len() as u64;
        }
        writer.flush().await?;
        Ok(written)
    }

    /// Writes the body to a new file at `path` (replacing one that is there) as it arrives;
    /// returns the number of bytes. A body that ends early (a lost connection, or fewer bytes
    /// than `Content-Length` says) is an error and the partial file is removed.
    pub async fn save(self, path: impl AsRef<Path>) -> io::Result<u64> {
        let path = path.as_ref();
        let expected = self.content_length();
        let mut file = tokio::fs::File::create(path).await?;
        let result = match self.write_to(&mut file).await {
            Ok(n) if expected.is_some_and(|e| e != n) => Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                format!("the body has {n} bytes, Content-Length said {}", expected.unwrap_or_default()),
            )),
            other => other,
        };
        drop(file);
        if result.is_err() {
            let _ = tokio::fs::remove_file(path).await;
        }
        result
    }

    /// The whole body in memory.
    pub async fn bytes(mut self) -> reqwest::Result<Bytes> {
        let mut all = Vec::new();
        while let Some(chunk) = self.chunk().await? {
            all.extend_from_slice(&chunk);
        }
        Ok(Bytes::from(all))
    }
}

impl Stream for Download {
    type Item = reqwest::Result<Bytes>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.stream.as_mut().poll_next(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_stream_is_sent_once() {
        let bytes = Upload::bytes(vec![1, 2, 3]);
        assert!(bytes.repeatable());
        assert!(bytes.body().is_ok() && bytes.body().is_ok());
        let chunks = futures_util::stream::iter([Ok::<_, io::Error>(Bytes::from_static(b"ab"))]);
        let stream = Upload::stream(chunks, Some(2));
        assert!(!stream.repeatable());
        assert!(stream.body().is_ok());
        assert!(stream.clone().body().unwrap_err().contains("already sent"));
    }

    #[test]
    fn a_file_upload_knows_its_length_and_a_directory_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.bin");
        std::fs::write(&path, [0u8; 10]).unwrap();
        assert_eq!(Upload::file(&path).unwrap().len(), Some(10));
        assert_eq!(FilePart::path(&path).unwrap().file_name.as_deref(), Some("a.bin"));
        assert!(Upload::file(dir.path()).is_err());
        assert!(Upload::file(dir.path().join("missing")).is_err());
    }
}
