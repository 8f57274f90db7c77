//! The server's accept loop: poem's `Server::run_with_graceful_shutdown`, with two bounds it
//! lacks. A connection that sends its headers slowly, or nothing at all, held its socket for
//! ever (poem builds hyper without the timer that its header read timeout needs), so a few
//! hundred idle sockets used up the process's file descriptors; and then poem's loop retried the
//! failing `accept` at once, for ever: 3.8 s of CPU in 5 s (debug build, `ulimit -n 256`, 300
//! idle sockets), while nobody else got in. Here a connection has a time to send each request's
//! headers (`SIMO_REQUEST_READ_TIMEOUT_SECS`; an idle keep-alive connection too, and a new one its
//! first byte), and a failed `accept` waits `ACCEPT_BACKOFF` before the next. A request's body
//! has the same time again (`body_in_time`, `V1Body`). hyper's header timeout is HTTP/1's alone:
//! an HTTP/2 connection with no stream open is closed (GOAWAY) after the same time idle, and one
//! whose peer leaves a PING unanswered as long is dropped.

use crate::state::SharedState;
use bytes::Bytes;
use http_body_util::combinators::BoxBody;
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use poem::listener::Acceptor;
use poem::{Body, Endpoint, EndpointExt, IntoEndpoint, IntoResponse, Request, Response};
use std::convert::Infallible;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// After a failed `accept` (no file descriptor left, most often), before the next try: the
/// connections that end meanwhile free some.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(100);

/// A run of failed `accept`s is logged once in this long, with its count.
const ACCEPT_LOG_EVERY: Duration = Duration::from_secs(10);

/// Serves `ep` on the connections `acceptor` takes until `stop` resolves, then lets the open
/// connections finish their requests for up to `grace`. A connection has `header_timeout` to
/// send a request's headers, from the moment it waits for them: a keep-alive connection with no
/// next request is closed after it too (30 s by default, hyper's; nginx's
/// `client_header_timeout` is 60 s), and so is one with no request in flight for as long.
pub async fn serve<A, E>(
    mut acceptor: A,
    ep: E,
    stop: impl Future<Output = ()>,
    header_timeout: Duration,
    grace: Duration,
) -> std::io::Result<()>
where
    A: Acceptor,
    E: IntoEndpoint,
    E::Endpoint: 'static,
{
    let ep = Arc::new(ep.into_endpoint().map_to_response().boxed());
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(header_timeout);
    // An HTTP/2 peer that vanishes while its answer waits (no FIN: a phone out of coverage, its
    // window shut) held the stream, and with it the connection, until TCP gave up; one that
    // leaves a PING unanswered for the same time is dropped.
    builder
        .http2()
        .timer(TokioTimer::new())
        .keep_alive_interval(Some(header_timeout))
        .keep_alive_timeout(header_timeout);
    // Each connection's task holds a sender; all gone, every connection has ended.
    let (alive, mut all_ended) = tokio::sync::mpsc::channel::<()>(1);
    let (phase, phases) = tokio::sync::watch::channel(Phase::Serving);
    tokio::pin!(stop);
    for addr in acceptor.local_addr() {
        tracing::info!(addr = %addr, "listening");
    }
    let (mut refused, mut logged) = (0u64, None::<Instant>);
    loop {
        let (io, local, remote, scheme) = tokio::select! {
            _ = &mut stop => break,
            accepted = acceptor.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    refused += 1;
                    if logged.is_none_or(|at| at.elapsed() >= ACCEPT_LOG_EVERY) {
                        tracing::warn!(error = %e, refused, "connections not accepted; trying again every 100 ms");
                        (refused, logged) = (0, Some(Instant::now()));
                    }
                    tokio::time::sleep(ACCEPT_BACKOFF).await;
                    continue;
                }
            },
        };
        let ep = ep.clone();
        let activity = Arc::new(Activity::new());
        let busy = activity.clone();
        let service = hyper::service::service_fn(move |req: http::Request<Incoming>| {
            let ep = ep.clone();
            let req = Request::from((req, local.clone(), remote.clone(), scheme.clone()));
            let in_flight = InFlight::new(busy.clone());
            async move {
                let resp: hyper::Response<BoxBody<Bytes, std::io::Error>> =
                    ep.get_response(req).await.into();
                Ok::<_, Infallible>(resp.map(|body| Answering {
                    body,
                    _in_flight: in_flight,
                }))
            }
        });
        let conn = builder
            .serve_connection_with_upgrades(
                TokioIo::new(ReadDeadline::first_byte(io, header_timeout)),
                service,
            )
            .into_owned();
        let (alive, mut phases) = (alive.clone(), phases.clone());
        tokio::spawn(async move {
            let _alive = alive;
            tokio::pin!(conn);
            let idle = activity.idle_for(header_timeout);
            // Set once closed for idleness: a client that does not answer the GOAWAY's PING
            // (HTTP/2 waits for it) is dropped after the same time again, unless a request
            // came in meanwhile.
            let overdue = tokio::time::sleep(Duration::MAX);
            tokio::pin!(idle, overdue);
            let mut winding_down = false;
            loop {
                tokio::select! {
                    // A client gone mid-request, or its headers too slow: its end, not ours.
                    ended = conn.as_mut() => {
                        if let Err(e) = ended {
                            tracing::debug!(error = %e, "connection ended");
                        }
                        break;
                    }
                    // Requests in flight finish; no new ones are taken.
                    () = &mut idle, if !winding_down => {
                        conn.as_mut().graceful_shutdown();
                        winding_down = true;
                        overdue
                            .as_mut()
                            .reset(tokio::time::Instant::now() + header_timeout);
                    }
                    () = &mut overdue => match activity.in_flight.load(Ordering::Acquire) {
                        0 => break,
                        _ => overdue
                            .as_mut()
                            .reset(tokio::time::Instant::now() + header_timeout),
                    },
                    changed = phases.changed() => match changed.map(|()| *phases.borrow()) {
                        Ok(Phase::Serving) => {}
                        Ok(Phase::Stopping) => if !winding_down {
                            conn.as_mut().graceful_shutdown();
                            winding_down = true;
                        },
                        // Past the grace period, what is still open is dropped, as poem's loop did.
                        Ok(Phase::Closing) | Err(_) => break,
                    },
                }
            }
        });
    }
    drop(acceptor);
    drop(alive);
    tracing::info!("stopping: open connections finish their requests");
    phase.send_replace(Phase::Stopping);
    if tokio::time::timeout(grace, all_ended.recv()).await.is_err() {
        tracing::warn!(
            secs = grace.as_secs(),
            "connections still open after the grace period are closed"
        );
        phase.send_replace(Phase::Closing);
    }
    Ok(())
}

/// Where the server is in its life, as each connection's task sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Serving,
    /// Finish the requests in flight, take no new ones.
    Stopping,
    /// The grace period is over: drop the connection.
    Closing,
}

/// One connection's requests: how many are in flight, and since when none has been.
struct Activity {
    opened: Instant,
    in_flight: AtomicUsize,
    /// Milliseconds from `opened` to the end of the last request.
    last_ended: AtomicU64,
}

impl Activity {
    fn new() -> Self {
        Self {
            opened: Instant::now(),
            in_flight: AtomicUsize::new(0),
            last_ended: AtomicU64::new(0),
        }
    }

    /// Resolves once no request has been in flight for `limit`. HTTP/1 needs no such bound
    /// (hyper's header timeout closes an idle keep-alive connection); an HTTP/2 connection
    /// with no stream open would otherwise stay for as long as its client keeps it.
    async fn idle_for(&self, limit: Duration) {
        loop {
            let wait = match self.in_flight.load(Ordering::Acquire) {
                0 => {
                    let since = Duration::from_millis(self.last_ended.load(Ordering::Acquire));
                    let idle = self.opened.elapsed().saturating_sub(since);
                    match limit.checked_sub(idle) {
                        None | Some(Duration::ZERO) => return,
                        Some(left) => left,
                    }
                }
                _ => limit,
            };
            tokio::time::sleep(wait).await;
        }
    }
}

/// A request in flight on its connection, from its headers until its answer is sent (or
/// dropped: a client gone, a stream reset).
struct InFlight(Arc<Activity>);

impl InFlight {
    fn new(activity: Arc<Activity>) -> Self {
        activity.in_flight.fetch_add(1, Ordering::AcqRel);
        Self(activity)
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        let ended = self.0.opened.elapsed().as_millis();
        self.0
            .last_ended
            .store(u64::try_from(ended).unwrap_or(u64::MAX), Ordering::Release);
        self.0.in_flight.fetch_sub(1, Ordering::AcqRel);
    }
}

/// An answer's body, its request counted in flight until the body is sent: a download that
/// takes longer than the timeout (a big CSV on a slow line) is no idleness.
struct Answering {
    body: BoxBody<Bytes, io::Error>,
    _in_flight: InFlight,
}

impl hyper::body::Body for Answering {
    type Data = Bytes;
    type Error = io::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<hyper::body::Frame<Bytes>, io::Error>>> {
        Pin::new(&mut self.get_mut().body).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> hyper::body::SizeHint {
        self.body.size_hint()
    }
}

/// A reader that fails with `TimedOut` if it has not done in time: a new connection's socket
/// until its first byte (hyper's own header timeout starts once the connection is HTTP/1's,
/// and to tell HTTP/1 from HTTP/2 the server waits for the first bytes, with no limit of its
/// own), or a request's whole body (see `body_in_time`).
pub(crate) struct ReadDeadline<I> {
    io: I,
    deadline: Option<Pin<Box<tokio::time::Sleep>>>,
    /// The deadline is lifted by the first byte read, rather than by the end.
    first_byte: bool,
    /// Set when the deadline passed, for a reader whose caller turns the failed read into an
    /// answer of its own (see `ReadDeadline::whole`).
    expired: Option<Arc<AtomicBool>>,
}

impl<I> ReadDeadline<I> {
    fn first_byte(io: I, timeout: Duration) -> Self {
        Self {
            io,
            deadline: Some(Box::pin(tokio::time::sleep(timeout))),
            first_byte: true,
            expired: None,
        }
    }

    /// A reader of a whole body in `timeout`, and a flag set if it was not read in time: by
    /// then the reader's caller has seen only a failed read.
    pub(crate) fn whole(io: I, timeout: Duration) -> (Self, Arc<AtomicBool>) {
        let expired = Arc::new(AtomicBool::new(false));
        let reader = Self {
            first_byte: false,
            expired: Some(expired.clone()),
            ..Self::first_byte(io, timeout)
        };
        (reader, expired)
    }
}

impl<I: AsyncRead + Unpin> AsyncRead for ReadDeadline<I> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        let read = Pin::new(&mut this.io).poll_read(cx, buf);
        if let Some(deadline) = &mut this.deadline {
            match &read {
                Poll::Ready(Ok(())) if this.first_byte && buf.filled().len() > before => {
                    this.deadline = None
                }
                Poll::Pending if deadline.as_mut().poll(cx).is_ready() => {
                    if let Some(expired) = &this.expired {
                        expired.store(true, Ordering::Release);
                    }
                    return Poll::Ready(Err(io::ErrorKind::TimedOut.into()));
                }
                _ => {}
            }
        }
        read
    }
}

impl<I: AsyncWrite + Unpin> AsyncWrite for ReadDeadline<I> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().io).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().io).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_shutdown(cx)
    }
}

/// The request read timeout of the app serving `req` (the setting's default when the request
/// carries no app, as in a handler's unit test).
pub(crate) fn request_read_timeout(req: &Request) -> Duration {
    req.data::<SharedState>()
        .map_or(Duration::from_secs(30), |s| {
            s.settings.request_read_timeout()
        })
}

/// Wraps the cabinet's and the operator's forms: a body must be in within the request read
/// timeout (`SIMO_REQUEST_READ_TIMEOUT_SECS`), or the form is refused with a 408 page, instead
/// of holding its connection and task for as long as the client trickles it in. The v1 API
/// bounds its bodies where it reads them (`V1Body`), at no cost when a body is already there.
pub async fn body_in_time<E: Endpoint>(next: E, mut req: Request) -> poem::Result<Response> {
    let timeout = request_read_timeout(&req);
    let body = req.take_body().into_async_read();
    let (body, expired) = ReadDeadline::whole(body, timeout);
    req.set_body(Body::from_async_read(body));
    let answer = next.call(req).await.map(IntoResponse::into_response);
    // The handler saw a form it could not read; the visitor is told why.
    match expired.load(Ordering::Acquire) {
        true => Err(crate::cabinet::errors::CabinetError::TooSlow {
            secs: timeout.as_secs(),
        }
        .into()),
        false => answer,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use poem::listener::{Listener, TcpListener};
    use poem::{Route, get, handler};

    /// `ep` served on a loopback port with a 200 ms read timeout: its address, the sender that
    /// stops it, and the server's task.
    async fn serving(
        ep: Route,
    ) -> (
        std::net::SocketAddr,
        tokio::sync::oneshot::Sender<()>,
        tokio::task::JoinHandle<io::Result<()>>,
    ) {
        let acceptor = TcpListener::bind("127.0.0.1:0")
            .into_acceptor()
            .await
            .unwrap();
        let addr = *acceptor.local_addr()[0].as_socket_addr().unwrap();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let stopped = async {
            stopped.await.ok();
        };
        let grace = Duration::from_secs(1);
        let server = tokio::spawn(serve(
            acceptor,
            ep,
            stopped,
            Duration::from_millis(200),
            grace,
        ));
        (addr, stop, server)
    }

    /// An answer whose body takes longer to send than the idle timeout (a big CSV on a slow
    /// line): its request is in flight until the body is sent, so the connection is not closed
    /// as idle under it.
    #[tokio::test]
    async fn an_answer_sent_slowly_is_not_cut_off_as_idle() {
        #[handler]
        fn slowly() -> Body {
            let chunks = futures_util::stream::unfold(0u8, |i| async move {
                if i == 10 {
                    return None;
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
                Some((Ok::<_, io::Error>(Bytes::from(vec![b'x'; 1000])), i + 1))
            });
            Body::from_bytes_stream(chunks)
        }
        let (addr, stop, server) = serving(Route::new().at("/", get(slowly))).await;
        let answer = reqwest::get(format!("http://{addr}/")).await.unwrap();
        let body = answer.bytes().await.expect("the whole answer");
        assert_eq!(body.len(), 10_000);
        stop.send(()).unwrap();
        server.await.unwrap().unwrap();
    }

    /// An HTTP/2 peer that has stopped answering while its answer waits (its stream's window
    /// shut, so the answer cannot be sent and its request stays in flight) is dropped once it
    /// leaves the server's PING unanswered; before, the connection stayed open for good.
    #[tokio::test]
    async fn an_http2_peer_that_leaves_a_ping_unanswered_is_dropped() {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        #[handler]
        fn hello() -> &'static str {
            "hello"
        }
        let (addr, stop, server) = serving(Route::new().at("/", get(hello))).await;
        let mut peer = tokio::net::TcpStream::connect(addr).await.unwrap();
        let mut opening = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".to_vec();
        // SETTINGS: each stream's window 0 (SETTINGS_INITIAL_WINDOW_SIZE, 0x4).
        opening.extend([0, 0, 6, 0x4, 0, 0, 0, 0, 0, 0, 0x4, 0, 0, 0, 0]);
        // HEADERS on stream 1, END_STREAM | END_HEADERS: GET, http, / (HPACK's static table).
        opening.extend([0, 0, 3, 0x1, 0x5, 0, 0, 0, 1, 0x82, 0x86, 0x84]);
        peer.write_all(&opening).await.unwrap();
        let mut got = Vec::new();
        let closed = tokio::time::timeout(Duration::from_secs(5), async {
            while let Ok(1..) = peer.read_buf(&mut got).await {}
        })
        .await;
        assert!(closed.is_ok(), "still open after 5 s: {got:?}");
        // A PING frame's header: 8 bytes of payload, type 0x6, no flags, stream 0.
        let ping = [0, 0, 8, 0x6, 0, 0, 0, 0, 0];
        assert!(got.windows(9).any(|w| w == ping), "no PING: {got:?}");
        stop.send(()).unwrap();
        server.await.unwrap().unwrap();
    }
}
