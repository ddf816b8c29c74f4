//! Cursor pagination as a stream.

use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_util::stream::{self, Stream, StreamExt};
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::error::{Error, ErrorBody};
use super::request::{Operation, Request};
use super::transport::{Exchange, Failure, Transport};

/// Where the requests of a cursor-paginated listing carry the cursor and the page size: paths
/// of JSON property names in the request body (`["Limitation", "Cursor"]`).
#[derive(Clone, Copy, Debug)]
pub struct Paging {
    /// Where the next request takes the cursor of the last page.
    pub cursor: &'static [&'static str],
    /// How many items a request asks for: a page with fewer is the last.
    pub count: Option<&'static [&'static str]>,
}

/// Every item of a cursor-paginated listing, page after page ([`Transport::items`]). Ends after
/// a page without a cursor, a page with fewer items than asked for, an answer without content,
/// or an error (its last item). Generic, so nothing of it is compiled before a stream is used.
struct Listing<'a, B, P, T, C, E, F> {
    /// The body of the first request, serialized when the stream is first polled.
    first: Option<B>,
    transport: &'a Transport,
    operation: &'a Operation,
    paging: &'a Paging,
    split: F,
    or_none: bool,
    batch: std::vec::IntoIter<T>,
    /// The request of the page on its way (kept for the next one), with the count it asks for.
    request: Option<(Request, Option<i64>)>,
    pending: Option<Exchange<'a>>,
    page: PhantomData<Produces<P, C, E>>,
}

/// What a `Listing` reads and writes without holding it: its pages, cursors and error bodies.
type Produces<P, C, E> = fn() -> (P, C, E);

// Nothing in a `Listing` is pinned in place: the exchange future is boxed.
impl<B, P, T, C, E, F> Unpin for Listing<'_, B, P, T, C, E, F> {}

impl<'a, B, P, T, C, E, F> Stream for Listing<'a, B, P, T, C, E, F>
where
    B: Serialize,
    P: DeserializeOwned,
    C: Serialize,
    E: ErrorBody,
    F: Fn(P) -> (Vec<T>, Option<C>),
{
    type Item = Result<T, Error<E>>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        if let Some(first) = this.first.take() {
            let request = Request::new().json(&first);
            let asked = this.paging.count.and_then(|path| request.json_integer_at(path));
            this.request = Some((request, asked));
        }
        loop {
            if let Some(item) = this.batch.next() {
                return Poll::Ready(Some(Ok(item)));
            }
            if this.pending.is_none() {
                let Some((request, _)) = &this.request else { return Poll::Ready(None) };
                this.pending = Some(this.transport.exchange(this.operation, request.clone()));
            }
            let Some(pending) = this.pending.as_mut() else { return Poll::Ready(None) };
            let Poll::Ready(result) = pending.as_mut().poll(cx) else { return Poll::Pending };
            this.pending = None;
            let Some((request, asked)) = this.request.take() else { return Poll::Ready(None) };
            let page = match result.map_err(Failure::into_error) {
                Ok(response) if this.or_none => response.json_or_none(),
                Ok(response) => response.json().map(Some),
                Err(e) => Err(e),
            };
            let page = match page {
                Ok(Some(page)) => page,
                Ok(None) => return Poll::Ready(None),
                Err(e) => return Poll::Ready(Some(Err(e))),
            };
            let (items, cursor) = (this.split)(page);
            let short = asked.is_some_and(|n| i64::try_from(items.len()).unwrap_or(i64::MAX) < n);
            if let Some(cursor) = cursor.filter(|_| !short) {
                let mut next = request;
                next.set_json_at(this.paging.cursor, &cursor);
                this.request = Some((next, asked));
            }
            this.batch = items.into_iter();
        }
    }
}

impl Transport {
    /// Every item of a cursor-paginated listing of `operation`, starting with the JSON body
    /// `first` (serialized when the stream is first polled): each page decodes as `P`, and `split` takes its items and its cursor out of it;
    /// the cursor goes into the next request where `paging` says. Ends after a page without a
    /// cursor, a page with fewer items than asked for, or an error (its last item).
    pub fn items<'a, B, P, T, C, E, F>(
        &'a self,
        operation: &'a Operation,
        paging: &'a Paging,
        first: B,
        split: F,
    ) -> impl Stream<Item = Result<T, Error<E>>> + use<'a, B, P, T, C, E, F>
    where
        B: Serialize + 'a,
        P: DeserializeOwned + 'a,
        T: 'a,
        C: Serialize + 'a,
        E: ErrorBody + 'a,
        F: Fn(P) -> (Vec<T>, Option<C>) + 'a,
    {
        self.listing(operation, paging, first, split, false)
    }

    /// [`Transport::items`] for operations that may answer without content (a 204, or an empty
    /// body), which ends the listing like an empty last page.
    pub fn items_or_none<'a, B, P, T, C, E, F>(
        &'a self,
        operation: &'a Operation,
        paging: &'a Paging,
        first: B,
        split: F,
    ) -> impl Stream<Item = Result<T, Error<E>>> + use<'a, B, P, T, C, E, F>
    where
        B: Serialize + 'a,
        P: DeserializeOwned + 'a,
        T: 'a,
        C: Serialize + 'a,
        E: ErrorBody + 'a,
        F: Fn(P) -> (Vec<T>, Option<C>) + 'a,
    {
        self.listing(operation, paging, first, split, true)
    }

    fn listing<'a, B, P, T, C, E, F>(
        &'a self,
        operation: &'a Operation,
        paging: &'a Paging,
        first: B,
        split: F,
        or_none: bool,
    ) -> Listing<'a, B, P, T, C, E, F> {
        Listing {
            first: Some(first),
            transport: self,
            operation,
            paging,
            split,
            or_none,
            batch: Vec::new().into_iter(),
            request: None,
            pending: None,
            page: PhantomData,
        }
    }
}

/// Every page of a cursor-paginated listing, in order. `fetch` sends one request; `next`
/// builds the following request from the last one and its page, or returns `None` when the
/// page was the last (no cursor, or fewer items than asked for). After an error the stream ends.
pub fn pages<'a, Req, Page, E, Fetch, Fut, Next>(
    first: Req,
    fetch: Fetch,
    next: Next,
) -> impl Stream<Item = Result<Page, Error<E>>> + 'a
where
    Req: Clone + 'a,
    Page: 'a,
    E: 'a,
    Fetch: Fn(Req) -> Fut + 'a,
    Fut: Future<Output = Result<Page, Error<E>>> + 'a,
    Next: Fn(Req, &Page) -> Option<Req> + 'a,
{
    stream::unfold((Some(first), fetch, next), |(request, fetch, next)| async move {
        let request = request?;
        match fetch(request.clone()).await {
            Ok(page) => {
                let following = next(request, &page);
                Some((Ok(page), (following, fetch, next)))
            }
            Err(e) => Some((Err(e), (None, fetch, next))),
        }
    })
}

/// Every item of a cursor-paginated listing, page after page: [`pages`] flattened by `items`,
/// which takes a page's item list out of it.
pub fn paginate<'a, Req, Page, Item, E, Fetch, Fut, Next, Items>(
    first: Req,
    fetch: Fetch,
    next: Next,
    items: Items,
) -> impl Stream<Item = Result<Item, Error<E>>> + 'a
where
    Req: Clone + 'a,
    Page: 'a,
    Item: 'a,
    E: 'a,
    Fetch: Fn(Req) -> Fut + 'a,
    Fut: Future<Output = Result<Page, Error<E>>> + 'a,
    Next: Fn(Req, &Page) -> Option<Req> + 'a,
    Items: Fn(Page) -> Vec<Item> + 'a,
{
    pages(first, fetch, next).flat_map(move |page| {
        let batch: Vec<Result<Item, Error<E>>> = match page {
            Ok(page) => items(page).into_iter().map(Ok).collect(),
            Err(e) => vec![Err(e)],
        };
        stream::iter(batch)
    })
}

/// How a cursor-paginated listing goes from page to page: accessors of its request type `Req`
/// and page type `Page`, written as closures.
pub struct Cursor<Req, Page, Item, C> {
    /// The cursor of a page, `None` on the last one.
    pub read: fn(&Page) -> Option<C>,
    /// Puts a cursor into the next request.
    pub write: fn(&mut Req, C),
    /// How many items a request asks for per page, if it says: a page with fewer is the last.
    pub count: fn(&Req) -> Option<i64>,
    /// Takes a page's items out of it.
    pub items: fn(Page) -> Vec<Item>,
}

/// Every item of a cursor-paginated listing, page after page, starting from `first`: `fetch`
/// sends one request; the listing ends after a page without a cursor, a page with fewer items
/// than asked for, or an error (the stream's last item).
pub fn cursor_items<'a, Req, Page, Item, C, E, Fetch, Fut>(
    first: Req,
    fetch: Fetch,
    cursor: Cursor<Req, Page, Item, C>,
) -> impl Stream<Item = Result<Item, Error<E>>> + 'a
where
    Req: Clone + 'a,
    Page: 'a,
    Item: 'a,
    C: 'a,
    E: 'a,
    Fetch: Fn(Req) -> Fut + 'a,
    Fut: Future<Output = Result<Page, Error<E>>> + 'a,
{
    cursor_items_or_none(first, move |request| map_some(fetch(request)), cursor)
}

async fn map_some<Page, E>(page: impl Future<Output = Result<Page, Error<E>>>) -> Result<Option<Page>, Error<E>> {
    page.await.map(Some)
}

/// [`cursor_items`] for operations that may answer without content (a 204): `fetch` gives
/// `None` then, which ends the listing like an empty last page.
pub fn cursor_items_or_none<'a, Req, Page, Item, C, E, Fetch, Fut>(
    first: Req,
    fetch: Fetch,
    cursor: Cursor<Req, Page, Item, C>,
) -> impl Stream<Item = Result<Item, Error<E>>> + 'a
where
    Req: Clone + 'a,
    Page: 'a,
    Item: 'a,
    C: 'a,
    E: 'a,
    Fetch: Fn(Req) -> Fut + 'a,
    Fut: Future<Output = Result<Option<Page>, Error<E>>> + 'a,
{
    let next = move |mut request: Req, page: &Page| {
        let next = (cursor.read)(page)?;
        (cursor.write)(&mut request, next);
        Some(request)
    };
    let count = cursor.count;
    let items = cursor.items;
    stream::unfold(Some((first, fetch, next)), move |state| async move {
        let (request, fetch, next) = state?;
        let asked = count(&request);
        match fetch(request.clone()).await {
            Ok(Some(page)) => {
                let following = next(request, &page);
                let batch = items(page);
                let short = asked.is_some_and(|n| i64::try_from(batch.len()).unwrap_or(i64::MAX) < n);
                let state = following.filter(|_| !short).map(|r| (r, fetch, next));
                Some((stream::iter(batch.into_iter().map(Ok).collect::<Vec<_>>()), state))
            }
            Ok(None) => Some((stream::iter(Vec::new()), None)),
            Err(e) => Some((stream::iter(vec![Err(e)]), None)),
        }
    })
    .flatten()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    #[tokio::test]
    async fn streams_items_in_order_and_stops_when_next_says_so() {
        // Pages of 2 items from 0..5; the request is the offset.
        let fetch =
            |offset: usize| async move { Ok::<_, Error<()>>((offset..(offset + 2).min(5)).collect::<Vec<usize>>()) };
        let next = |offset: usize, page: &Vec<usize>| (page.len() == 2).then_some(offset + 2);
        let items: Vec<usize> = paginate(0, fetch, next, |page| page).map(|r| r.unwrap()).collect().await;
        assert_eq!(items, [0, 1, 2, 3, 4]);
    }

    /// A request asking for `count` items after `cursor`; a page of items and the next cursor.
    #[derive(Clone)]
    struct Ask {
        cursor: Option<usize>,
        count: i64,
    }

    fn numbers() -> Cursor<Ask, (Vec<usize>, Option<usize>), usize, usize> {
        Cursor {
            read: |page| page.1,
            write: |ask, cursor| ask.cursor = Some(cursor),
            count: |ask| Some(ask.count),
            items: |page| page.0,
        }
    }

    #[tokio::test]
    async fn a_cursor_listing_stops_at_a_short_page_or_without_a_cursor() {
        // 0..5 in pages of 2; the last page is short although it has a cursor.
        let fetch = |ask: Ask| async move {
            let from = ask.cursor.unwrap_or(0);
            Ok::<_, Error<()>>(((from..(from + 2).min(5)).collect::<Vec<_>>(), Some(from + 2)))
        };
        let items: Vec<usize> =
            cursor_items(Ask { cursor: None, count: 2 }, fetch, numbers()).map(|r| r.unwrap()).collect().await;
        assert_eq!(items, [0, 1, 2, 3, 4]);
        // Full pages, but the second has no cursor.
        let fetch = |ask: Ask| async move {
            let from = ask.cursor.unwrap_or(0);
            Ok::<_, Error<()>>((vec![from, from + 1], (from == 0).then_some(2)))
        };
        let items: Vec<usize> =
            cursor_items(Ask { cursor: None, count: 2 }, fetch, numbers()).map(|r| r.unwrap()).collect().await;
        assert_eq!(items, [0, 1, 2, 3]);
    }

    #[tokio::test]
    async fn a_page_without_content_ends_a_cursor_listing() {
        // Full pages with cursors, then an answer without content (a 204).
        let fetch = |ask: Ask| async move {
            let from = ask.cursor.unwrap_or(0);
            Ok::<_, Error<()>>((from < 4).then(|| (vec![from, from + 1], Some(from + 2))))
        };
        let items: Vec<usize> =
            cursor_items_or_none(Ask { cursor: None, count: 2 }, fetch, numbers()).map(|r| r.unwrap()).collect().await;
        assert_eq!(items, [0, 1, 2, 3]);
    }

    #[tokio::test]
    async fn an_error_ends_a_cursor_listing() {
        let fetch = |ask: Ask| async move {
            match ask.cursor {
                None => Ok((vec![0, 1], Some(2))),
                Some(_) => Err(Error::<()>::Request("boom".into())),
            }
        };
        let results: Vec<_> = cursor_items(Ask { cursor: None, count: 2 }, fetch, numbers()).collect().await;
        assert_eq!(results.len(), 3);
        assert!(matches!(results[2], Err(Error::Request(_))));
    }

    /// Serves `replies` (status, body) in order, one connection each, and records each
    /// request's body.
    fn serve(replies: Vec<(u16, &'static str)>) -> (String, std::sync::Arc<std::sync::Mutex<Vec<String>>>) {
        use std::io::{BufRead, BufReader, Read, Write};
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let bodies = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let seen = std::sync::Arc::clone(&bodies);
        std::thread::spawn(move || {
            for (status, body) in replies {
                let (stream, _) = listener.accept().unwrap();
                let mut reader = BufReader::new(stream);
                let mut length = 0;
                loop {
                    let mut line = String::new();
                    reader.read_line(&mut line).unwrap();
                    if line == "\r\n" {
                        break;
                    }
                    if let Some((name, value)) = line.split_once(':') {
                        if name.eq_ignore_ascii_case("content-length") {
                            length = value.trim().parse().unwrap();
                        }
                    }
                }
                let mut request = vec![0; length];
                reader.read_exact(&mut request).unwrap();
                seen.lock().unwrap().push(String::from_utf8(request).unwrap());
                let reply = format!(
                    "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
                reader.get_mut().write_all(reply.as_bytes()).unwrap();
            }
        });
        (url, bodies)
    }

    const LIST: Operation =
        Operation { id: "list", method: reqwest::Method::POST, path: "/list", retry_safe: true, schemes: None };
    const PAGING: Paging = Paging { cursor: &["Limit", "Cursor"], count: Some(&["Limit", "Count"]) };

    /// A page `{"Items": [...], "Next": cursor}` split into its items and cursor.
    fn split(page: Value) -> (Vec<u64>, Option<Value>) {
        let items = page["Items"].as_array().map(|a| a.iter().filter_map(Value::as_u64).collect()).unwrap_or_default();
        (items, page.get("Next").filter(|c| !c.is_null()).cloned())
    }

    #[tokio::test]
    async fn a_listing_writes_each_cursor_into_the_next_body_and_stops_at_a_short_page() {
        let (url, bodies) = serve(vec![
            (200, r#"{"Items": [1, 2], "Next": "a"}"#),
            (200, r#"{"Items": [3, 4], "Next": "b"}"#),
            (200, r#"{"Items": [5], "Next": "c"}"#),
        ]);
        let transport = super::super::Builder::new(url).build().unwrap();
        let first = serde_json::json!({"Limit": {"Count": 2}, "Name": "x"});
        let items: Vec<u64> =
            transport.items::<_, _, _, _, (), _>(&LIST, &PAGING, first, split).map(|r| r.unwrap()).collect().await;
        assert_eq!(items, [1, 2, 3, 4, 5]);
        let bodies: Vec<Value> = bodies.lock().unwrap().iter().map(|b| serde_json::from_str(b).unwrap()).collect();
        assert_eq!(bodies.len(), 3, "the short page is the last");
        assert_eq!(bodies[0], serde_json::json!({"Limit": {"Count": 2}, "Name": "x"}));
        assert_eq!(bodies[1], serde_json::json!({"Limit": {"Count": 2, "Cursor": "a"}, "Name": "x"}));
        assert_eq!(bodies[2]["Limit"]["Cursor"], "b");
    }

    #[tokio::test]
    async fn a_listing_ends_without_a_cursor_at_a_204_or_after_an_error() {
        let (url, bodies) = serve(vec![(200, r#"{"Items": [1, 2], "Next": null}"#)]);
        let transport = super::super::Builder::new(url).build().unwrap();
        let first = serde_json::json!({"Limit": {"Count": 2}});
        let items: Vec<u64> =
            transport.items::<_, _, _, _, (), _>(&LIST, &PAGING, first, split).map(|r| r.unwrap()).collect().await;
        assert_eq!((items, bodies.lock().unwrap().len()), (vec![1, 2], 1));

        let (url, bodies) = serve(vec![(200, r#"{"Items": [1, 2], "Next": "a"}"#), (204, "")]);
        let transport = super::super::Builder::new(url).build().unwrap();
        let first = serde_json::json!({"Limit": {"Count": 2}});
        let items: Vec<u64> = transport
            .items_or_none::<_, _, _, _, (), _>(&LIST, &PAGING, first, split)
            .map(|r| r.unwrap())
            .collect()
            .await;
        assert_eq!((items, bodies.lock().unwrap().len()), (vec![1, 2], 2));

        let (url, _) = serve(vec![(200, r#"{"Items": [1, 2], "Next": "a"}"#), (400, r#"{"Message": "no"}"#)]);
        let transport = super::super::Builder::new(url).build().unwrap();
        let first = serde_json::json!({"Limit": {"Count": 2}});
        let results: Vec<_> = transport.items::<_, _, _, _, Value, _>(&LIST, &PAGING, first, split).collect().await;
        assert_eq!(results.len(), 3);
        assert!(
            matches!(&results[2], Err(Error::Api { status: 400, body: Some(body), .. }) if body["Message"] == "no")
        );
    }

    #[tokio::test]
    async fn an_error_ends_the_stream() {
        let fetch = |n: u32| async move { if n == 1 { Err(Error::<()>::Request("boom".into())) } else { Ok(vec![n]) } };
        let results: Vec<_> = paginate(0u32, fetch, |n, _| Some(n + 1), |page| page).collect().await;
        assert_eq!(results.len(), 2);
        assert!(matches!(results[1], Err(Error::Request(_))));
    }
}
