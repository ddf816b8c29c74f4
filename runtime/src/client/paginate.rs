//! Cursor pagination as a stream.

use std::future::Future;

use futures_util::stream::{self, Stream, StreamExt};

use super::error::Error;

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

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn streams_items_in_order_and_stops_when_next_says_so() {
        // Pages of 2 items from 0..5; the request is the offset.
        let fetch =
            |offset: usize| async move { Ok::<_, Error<()>>((offset..(offset + 2).min(5)).collect::<Vec<usize>>()) };
        let next = |offset: usize, page: &Vec<usize>| (page.len() == 2).then_some(offset + 2);
        let items: Vec<usize> = paginate(0, fetch, next, |page| page).map(|r| r.unwrap()).collect().await;
        assert_eq!(items, [0, 1, 2, 3, 4]);
    }

    #[tokio::test]
    async fn an_error_ends_the_stream() {
        let fetch = |n: u32| async move { if n == 1 { Err(Error::<()>::Request("boom".into())) } else { Ok(vec![n]) } };
        let results: Vec<_> = paginate(0u32, fetch, |n, _| Some(n + 1), |page| page).collect().await;
        assert_eq!(results.len(), 2);
        assert!(matches!(results[1], Err(Error::Request(_))));
    }
}
