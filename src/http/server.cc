#include "src/http/server.h"

#include <array>
#include <atomic>
#include <future>
#include <optional>
#include <thread>
#include <vector>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <spdlog/spdlog.h>

namespace ledger::http {
namespace {

namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;

// The request line and headers of `req`; the body comes later.
HttpRequest HeadOf(const bhttp::request<bhttp::string_body>& req) {
  HttpRequest out;
  out.method = std::string(req.method_string());
  out.target = std::string(req.target());
  for (const auto& field : req) {
    std::string name(field.name_string());
    for (auto& c : name) c = char(std::tolower(static_cast<unsigned char>(c)));
    out.headers[name] = std::string(field.value());
  }
  return out;
}

// What the sessions share with the server: the count of open connections
// and what a draining stop needs.
struct SharedState {
  std::atomic<bool> stopping{false};  // no request is dispatched from now on
  std::atomic<int> unanswered{0};     // dispatched requests whose answer is not yet written
  std::atomic<int> streams{0};        // streamed answers being written (each has a pump thread)
  std::atomic<uint32_t> connections{0};  // sessions alive, refused ones excluded
};

// Streamed answers at once; one more gets 503.
constexpr int kMaxStreams = 64;
// A stream with nothing to send writes an SSE comment this often, so a
// client that went away is noticed.
constexpr auto kKeepAliveEvery = std::chrono::seconds(10);

// 503 unavailable with Retry-After, as every refusal for now.
HttpResponse Unavailable(std::string why) {
  return ErrorResponse(base::MakeError(base::ErrorCode::kUnavailable, std::move(why)));
}

class Session : public std::enable_shared_from_this<Session> {
 public:
  // `counted`: the session holds one of shared.connections until it ends.
  Session(tcp::socket&& socket, const ServerOptions& options, const Handler& dispatch,
          const Admission& admit, SharedState& shared, bool counted)
      : stream_(std::move(socket)),
        timer_(stream_.get_executor()),
        options_(options),
        dispatch_(dispatch),
        admit_(admit),
        shared_(shared),
        counted_(counted) {}

  ~Session() { ReleasePlace(); }

  void Run() { net::dispatch(stream_.get_executor(), [self = shared_from_this()] { self->DoRead(); }); }

  // Answers 503 to a connection over the limit, and closes it.
  void Refuse() {
    net::dispatch(stream_.get_executor(), [self = shared_from_this()] {
      self->keep_alive_ = false;
      self->Write(Unavailable("the server has " + std::to_string(self->options_.max_connections) +
                              " connections open, its limit; send it again"));
    });
  }

 private:
  void DoRead() {
    answering_head_ = false;
    parser_.emplace();
    parser_->body_limit(options_.body_limit_bytes);
    // Beast's own limit has no exact edge (it depends on how the bytes
    // arrive); the head's size, which the read reports, decides at the limit.
    parser_->header_limit(options_.header_limit_bytes + 1);
    stream_.expires_after(options_.read_timeout);
    bhttp::async_read_header(stream_, buffer_, *parser_,
                             [self = shared_from_this()](beast::error_code ec, size_t head_bytes) {
                               if (!ec && head_bytes > self->options_.header_limit_bytes)
                                 ec = bhttp::error::header_limit;
                               self->OnHeader(ec);
                             });
  }

  void OnHeader(beast::error_code ec) {
    if (ec) return OnReadError(ec);
    head_ = HeadOf(parser_->get());
    answering_head_ = parser_->get().method() == bhttp::verb::head;
    if (admit_) {
      if (auto refused = admit_(head_)) {
        version_ = parser_->get().version();
        keep_alive_ = false;  // the body is left unread: the connection cannot go on
        return Write(std::move(*refused));
      }
    }
    // curl and others wait for "100 Continue" before sending a larger body.
    auto expect = parser_->get()[bhttp::field::expect];
    if (beast::iequals(expect, "100-continue")) {
      auto cont = std::make_shared<bhttp::response<bhttp::empty_body>>(bhttp::status::continue_, 11);
      bhttp::async_write(stream_, *cont, [self = shared_from_this(), cont](beast::error_code ec, size_t) {
        if (ec) return self->Close();
        self->ReadBody();
      });
      return;
    }
    ReadBody();
  }

  void ReadBody() {
    bhttp::async_read(stream_, buffer_, *parser_,
                      [self = shared_from_this()](beast::error_code ec, size_t) { self->OnRead(ec); });
  }

  void OnReadError(beast::error_code ec) {
    if (ec == bhttp::error::end_of_stream || ec == net::error::eof ||
        ec == beast::error::timeout || ec == net::error::operation_aborted ||
        ec == net::error::connection_reset)
      return Close();
    keep_alive_ = false;
    if (ec == bhttp::error::body_limit)
      return Write(ErrorResponse(413, "too_large",
                                 "request body is larger than " +
                                     std::to_string(options_.body_limit_bytes) + " bytes"));
    if (ec == bhttp::error::header_limit)
      return Write(ErrorResponse(431, "too_large", "request headers are too large"));
    Write(ErrorResponse(400, "bad_request", "malformed HTTP request: " + ec.message()));
  }

  void OnRead(beast::error_code ec) {
    if (ec) return OnReadError(ec);
    stream_.expires_never();
    auto& req = parser_->get();
    keep_alive_ = req.keep_alive();
    version_ = req.version();
    if (shared_.stopping) {
      keep_alive_ = false;
      return Write(Unavailable("the server is shutting down; send it again"));
    }
    ++shared_.unanswered;
    // The head as admitted (its target parsed, its key checked), with the body.
    HttpRequest request = std::move(head_);
    request.body = std::move(req.body());
    request.post = [self = shared_from_this()](std::function<void()> work) {
      net::post(self->stream_.get_executor(), std::move(work));
    };
    uint64_t generation = ++generation_;
    timer_.expires_after(options_.handler_timeout);
    timer_.async_wait([self = shared_from_this(), generation](beast::error_code ec) {
      // The command may still complete: say so, rather than invite a retry
      // that would submit it twice.
      if (!ec && self->generation_ == generation && !self->answered_)
        self->Answer(ErrorResponse(504, "timeout",
                                   "no answer in time; a command may still be stored: read the "
                                   "request (or its history) before sending it again"),
                     generation);
    });
    answered_ = false;
    dispatch_(request, [self = shared_from_this(), generation](HttpResponse response) {
      net::post(self->stream_.get_executor(), [self, generation, r = std::move(response)]() mutable {
        self->Answer(std::move(r), generation);
      });
    });
  }

  void Answer(HttpResponse response, uint64_t generation) {
    if (generation != generation_ || answered_) return;
    answered_ = true;
    timer_.cancel();
    Write(std::move(response), /*dispatched=*/true);
  }

  // `dispatched`: the answer to a request counted in shared_.unanswered,
  // which it leaves once written (or once writing failed).
  void Write(HttpResponse response, bool dispatched = false) {
    if (response.stream && !answering_head_) return WriteStream(std::move(response), dispatched);
    res_ = {};
    res_.version(version_);
    res_.result(static_cast<unsigned>(response.status));
    res_.set(bhttp::field::server, "311-ledger");
    res_.set(bhttp::field::content_type, response.content_type);
    for (auto& [name, value] : response.headers) res_.set(name, value);
    res_.body() = std::move(response.body);
    res_.keep_alive(keep_alive_);
    res_.prepare_payload();
    // An answer to HEAD is the GET's without its content (RFC 9110 9.3.2):
    // Content-Length says what GET would send, and no body follows.
    if (answering_head_) res_.body().clear();
    stream_.expires_after(options_.read_timeout);
    bhttp::async_write(stream_, res_, [self = shared_from_this(), dispatched](beast::error_code ec, size_t) {
      if (dispatched) --self->shared_.unanswered;
      if (ec) return self->Close();
      if (!self->keep_alive_) return self->LingeringClose();
      self->DoRead();
    });
  }

  // A streamed answer: its head now, then its pieces as chunks, written by
  // a pump thread of its own (the stream's Next may wait); the connection
  // closes after it.
  void WriteStream(HttpResponse response, bool dispatched) {
    keep_alive_ = false;
    if (++shared_.streams > kMaxStreams) {
      --shared_.streams;
      response = Unavailable("the server has " + std::to_string(kMaxStreams) + " streams open, its limit");
      return Write(std::move(response), dispatched);
    }
    auto head = std::make_shared<bhttp::response<bhttp::empty_body>>();
    head->version(version_);
    head->result(static_cast<unsigned>(response.status));
    head->set(bhttp::field::server, "311-ledger");
    head->set(bhttp::field::content_type, response.content_type);
    for (auto& [name, value] : response.headers) head->set(name, value);
    head->chunked(true);
    head->keep_alive(false);
    auto serializer = std::make_shared<bhttp::response_serializer<bhttp::empty_body>>(*head);
    // A client that does not read cannot hold the stream (nor Stop) for
    // longer than this: every write of it has the read timeout.
    stream_.expires_after(options_.read_timeout);
    bhttp::async_write_header(
        stream_, *serializer,
        [self = shared_from_this(), head, serializer, dispatched, body = std::move(response.stream)](
            beast::error_code ec, size_t) mutable {
          if (dispatched) --self->shared_.unanswered;
          if (ec) {
            --self->shared_.streams;
            return self->Close();
          }
          SharedState& shared = self->shared_;
          try {
            std::thread([self, body = std::move(body)]() mutable {
              self->Pump(*body);
              SharedState& shared = self->shared_;
              body.reset();
              self.reset();
              --shared.streams;  // the last touch: Stop waits for it
            }).detach();
          } catch (const std::system_error& e) {
            spdlog::error("cannot start a thread for a stream: {}", e.what());
            --shared.streams;
            self->Close();
          }
        });
  }

  // On the pump thread: writes what the stream gives until it ends, a
  // write fails or the server stops.
  void Pump(ResponseStream& body) {
    auto last_write = std::chrono::steady_clock::now();
    while (!shared_.stopping) {
      std::optional<std::string> piece = body.Next(std::chrono::milliseconds(500));
      if (piece && piece->empty()) {
        if (std::chrono::steady_clock::now() - last_write < kKeepAliveEvery) continue;
        *piece = ": keep-alive\n\n";
      }
      bool last = !piece;
      if (!WriteChunk(last ? std::string() : std::move(*piece), last) || last) break;
      last_write = std::chrono::steady_clock::now();
    }
    net::post(stream_.get_executor(), [self = shared_from_this()] { self->Close(); });
  }

  // Writes one chunk (or the last, empty one) on the session's strand and
  // waits for it; false if it failed or the server stops meanwhile.
  bool WriteChunk(std::string data, bool last) {
    auto buffer = std::make_shared<std::string>(std::move(data));
    auto written = std::make_shared<std::promise<bool>>();
    auto result = written->get_future();
    net::post(stream_.get_executor(), [self = shared_from_this(), buffer, written, last] {
      auto done = [buffer, written](beast::error_code ec, size_t) { written->set_value(!ec); };
      self->stream_.expires_after(self->options_.read_timeout);
      if (last)
        net::async_write(self->stream_, bhttp::make_chunk_last(), std::move(done));
      else
        net::async_write(self->stream_, bhttp::make_chunk(net::buffer(*buffer)), std::move(done));
    });
    while (result.wait_for(std::chrono::milliseconds(100)) != std::future_status::ready)
      if (shared_.stopping) return false;
    return result.get();
  }

  // The connection serves no more requests: its place goes now, not when
  // the last responder of it does (one may still wait on the log).
  void Close() {
    ReleasePlace();
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
  }

  void ReleasePlace() {
    if (counted_) --shared_.connections;
    counted_ = false;
  }

  // After an error answer the client may still be sending a body we refused
  // (413). Closing at once would reset the connection and the client would
  // never read the answer, so read and drop what still comes, within bounds.
  void LingeringClose() {
    Close();
    drain_ = std::make_unique<std::array<char, 65536>>();
    stream_.expires_after(std::chrono::seconds(5));
    Drain(0);
  }

  void Drain(uint64_t drained) {
    stream_.async_read_some(net::buffer(*drain_), [self = shared_from_this(), drained](
                                                      beast::error_code ec, size_t n) {
      constexpr uint64_t kMaxDrain = 64 << 20;
      if (ec || drained + n > kMaxDrain) return self->stream_.close();
      self->Drain(drained + n);
    });
  }

  beast::tcp_stream stream_;
  net::steady_timer timer_;
  beast::flat_buffer buffer_;
  std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
  HttpRequest head_;  // the request being read, from its headers on
  bhttp::response<bhttp::string_body> res_;
  const ServerOptions& options_;
  const Handler& dispatch_;
  const Admission& admit_;
  SharedState& shared_;
  bool counted_;  // holds one of shared_.connections
  bool keep_alive_ = true;
  bool answering_head_ = false;  // the request being answered is a HEAD
  unsigned version_ = 11;
  uint64_t generation_ = 0;
  bool answered_ = true;
  std::unique_ptr<std::array<char, 65536>> drain_;
};

class BeastServer : public HttpServer {
 public:
  BeastServer(const ServerOptions& options, Handler dispatch, Admission admit)
      : options_(options),
        dispatch_(std::move(dispatch)),
        admit_(std::move(admit)),
        ioc_(options.threads),
        acceptor_(ioc_) {}

  ~BeastServer() override { Stop(); }

  base::Status Listen() {
    beast::error_code ec;
    auto address = net::ip::make_address(options_.host, ec);
    if (ec) return base::MakeError(base::ErrorCode::kInvalidArgument, "bad listen address '" + options_.host + "'");
    tcp::endpoint endpoint{address, options_.port};
    acceptor_.open(endpoint.protocol(), ec);
    if (!ec) acceptor_.set_option(net::socket_base::reuse_address(true), ec);
    if (!ec) acceptor_.bind(endpoint, ec);
    if (!ec) acceptor_.listen(net::socket_base::max_listen_connections, ec);
    if (ec)
      return base::MakeError(base::ErrorCode::kUnavailable,
                               "cannot listen on " + options_.host + ":" + std::to_string(options_.port) +
                                   ": " + ec.message());
    port_ = acceptor_.local_endpoint().port();
    DoAccept();
    for (int i = 0; i < std::max(1, options_.threads); ++i) threads_.emplace_back([this] { Run(); });
    return {};
  }

  uint16_t port() const override { return port_; }

  void Stop() override {
    if (stopped_.exchange(true)) return;
    // Close the acceptor on an I/O thread (it is not thread-safe): new
    // clients are refused rather than left hanging. Requests already taken
    // are answered first (a command stored is never left unanswered), up to
    // the handler timeout, after which each has had its 504; requests that
    // arrive meanwhile on open connections get 503.
    shared_.stopping = true;
    net::post(acceptor_.get_executor(), [this] {
      beast::error_code ignored;
      acceptor_.close(ignored);
      accept_retry_.cancel();
    });
    auto deadline = std::chrono::steady_clock::now() + options_.handler_timeout + std::chrono::seconds(1);
    while (shared_.unanswered > 0 && std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    // Streams end within a Next and a write (each checks `stopping`).
    while (shared_.streams > 0) std::this_thread::sleep_for(std::chrono::milliseconds(5));
    ioc_.stop();
    for (auto& t : threads_) t.join();
    threads_.clear();
  }

 private:
  // An I/O thread. The handlers catch what they throw (LedgerApi answers
  // 500); anything that still escapes is logged and the thread serves on,
  // so no input ends the process.
  void Run() {
    for (;;) {
      try {
        ioc_.run();
        return;
      } catch (const std::exception& e) {
        spdlog::error("HTTP I/O thread: unexpected failure: {}", e.what());
      }
    }
  }

  void DoAccept() {
    acceptor_.async_accept(net::make_strand(ioc_), [this](beast::error_code ec, tcp::socket socket) {
      if (ec) {
        if (!acceptor_.is_open()) return;
        // Out of file descriptors and the like: back off instead of spinning.
        spdlog::warn("accept: {}", ec.message());
        accept_retry_.expires_after(std::chrono::milliseconds(100));
        accept_retry_.async_wait([this](beast::error_code wait) {
          if (!wait) DoAccept();
        });
        return;
      } else {
        socket.set_option(tcp::no_delay(true), ec);
        // Counted first, then checked: two accepts at once cannot both take the last place.
        bool admitted = shared_.connections.fetch_add(1) < options_.max_connections;
        if (!admitted) --shared_.connections;
        auto session = std::make_shared<Session>(std::move(socket), options_, dispatch_, admit_, shared_, admitted);
        if (admitted)
          session->Run();
        else
          session->Refuse();
      }
      DoAccept();
    });
  }

  ServerOptions options_;
  Handler dispatch_;
  Admission admit_;
  SharedState shared_;  // before ioc_: sessions its handlers own touch it while they are destroyed
  net::io_context ioc_;
  tcp::acceptor acceptor_;
  net::steady_timer accept_retry_{ioc_};
  std::vector<std::thread> threads_;
  uint16_t port_ = 0;
  std::atomic<bool> stopped_{false};
};

}  // namespace

base::Result<std::unique_ptr<HttpServer>> HttpServer::Start(const ServerOptions& options,
                                                              Handler dispatch, Admission admit) {
  auto server = std::make_unique<BeastServer>(options, std::move(dispatch), std::move(admit));
  auto listening = server->Listen();
  if (!listening.ok()) return listening.error();
  return std::unique_ptr<HttpServer>(std::move(server));
}

}  // namespace ledger::http
