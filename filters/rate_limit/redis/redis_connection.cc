#include "filters/rate_limit/redis/redis_connection.h"

#include <hiredis/hiredis.h>
#include <pthread.h>
#include <signal.h>
#include <sys/time.h>

#include <cerrno>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "gateway/common/host_port.h"
#include "gateway/common/strings.h"

namespace chaukas::filters::rate_limit {
namespace {

// hiredis writes with write(2), not send(MSG_NOSIGNAL), so a write to a connection the server
// closed can raise SIGPIPE, whose default action ends the process (redis/hiredis#1229, still
// open). The gateway ignores SIGPIPE in main(); a library must not rely on it. As libpq does:
// block SIGPIPE in this thread for the duration of the I/O, and swallow one that the I/O
// raised, unless one was already pending before, which belongs to someone else.
class ScopedSigpipeBlock {
 public:
  ScopedSigpipeBlock() {
    sigemptyset(&sigpipe_);
    sigaddset(&sigpipe_, SIGPIPE);
    sigset_t pending;
    sigemptyset(&pending);
    sigpending(&pending);
    was_pending_ = sigismember(&pending, SIGPIPE) == 1;
    pthread_sigmask(SIG_BLOCK, &sigpipe_, &previous_mask_);
  }

  ~ScopedSigpipeBlock() {
    if (!was_pending_) {
      sigset_t pending;
      sigemptyset(&pending);
      sigpending(&pending);
      if (sigismember(&pending, SIGPIPE) == 1) {
        const timespec no_wait = {0, 0};
        sigtimedwait(&sigpipe_, nullptr, &no_wait);
      }
    }
    pthread_sigmask(SIG_SETMASK, &previous_mask_, nullptr);
  }

  ScopedSigpipeBlock(const ScopedSigpipeBlock&) = delete;
  ScopedSigpipeBlock& operator=(const ScopedSigpipeBlock&) = delete;

 private:
  sigset_t sigpipe_;
  sigset_t previous_mask_;
  bool was_pending_ = false;
};

RedisReply CopyReply(const redisReply& raw) {
  RedisReply reply;
  switch (raw.type) {
    case REDIS_REPLY_STRING:
      reply.type = RedisReply::Type::kString;
      reply.text.assign(raw.str, raw.len);
      break;
    case REDIS_REPLY_STATUS:
      reply.type = RedisReply::Type::kStatus;
      reply.text.assign(raw.str, raw.len);
      break;
    case REDIS_REPLY_ERROR:
      reply.type = RedisReply::Type::kError;
      reply.text.assign(raw.str, raw.len);
      break;
    case REDIS_REPLY_INTEGER:
      reply.type = RedisReply::Type::kInteger;
      reply.integer = raw.integer;
      break;
    case REDIS_REPLY_ARRAY:
      reply.type = RedisReply::Type::kArray;
      reply.elements.reserve(raw.elements);
      for (size_t i = 0; i < raw.elements; ++i)
        reply.elements.push_back(CopyReply(*raw.element[i]));
      break;
    default:
      reply.type = RedisReply::Type::kNil;
      break;
  }
  return reply;
}

struct ReplyDeleter {
  void operator()(void* reply) const { freeReplyObject(reply); }
};

}  // namespace

absl::StatusOr<RedisAddress> ParseRedisAddress(std::string_view address) {
  const size_t colon = address.rfind(':');
  if (colon == std::string_view::npos) {
    return absl::InvalidArgumentError(
        absl::StrCat("\"", ToAbsl(address), "\" is not host:port (no port)"));
  }
  std::string_view host = address.substr(0, colon);
  const std::string_view port_text = address.substr(colon + 1);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  } else if (host.find(':') != std::string_view::npos) {
    return absl::InvalidArgumentError(absl::StrCat(
        "\"", ToAbsl(address), "\" is not host:port (write an IPv6 host as [host]:port)"));
  }
  if (host.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("\"", ToAbsl(address), "\" is not host:port (no host)"));
  }
  uint32_t port = 0;
  if (!absl::SimpleAtoi(ToAbsl(port_text), &port) || port == 0 || port > 65535) {
    return absl::InvalidArgumentError(
        absl::StrCat("\"", ToAbsl(address), "\" is not host:port (port must be 1-65535)"));
  }
  return RedisAddress{std::string(host), static_cast<uint16_t>(port)};
}

absl::StatusOr<std::unique_ptr<RedisConnection>> RedisConnection::Connect(
    const RedisConnectionOptions& options) {
  const std::string peer = HostPort(options.address.host, options.address.port);
  redisContext* context = redisConnectWithTimeout(
      options.address.host.c_str(), options.address.port, absl::ToTimeval(options.connect_timeout));
  if (context == nullptr) {
    return absl::ResourceExhaustedError(absl::StrCat("redis ", peer, ": out of memory"));
  }
  if (context->err != 0) {
    const std::string message = context->errstr;
    redisFree(context);
    return absl::UnavailableError(absl::StrCat("redis ", peer, ": connect: ", message));
  }
  // From here the connection owns the context and frees it on every return.
  std::unique_ptr<RedisConnection> connection(
      new RedisConnection(context, peer, options.command_timeout));
  if (redisSetTimeout(context, absl::ToTimeval(options.command_timeout)) != REDIS_OK) {
    return connection->Failure("setting the command timeout");
  }
  // A dead peer behind a silent network is then found even while no command is pending.
  redisEnableKeepAlive(context);

  const auto setup = [&](const std::vector<std::string>& command,
                         std::string_view what) -> absl::Status {
    absl::StatusOr<RedisReply> reply = connection->Command(command);
    if (!reply.ok()) return reply.status();
    if (reply->is_error()) {
      return absl::PermissionDeniedError(
          absl::StrCat("redis ", peer, ": ", ToAbsl(what), " refused: ", reply->text));
    }
    return absl::OkStatus();
  };
  if (options.password.has_value()) {
    if (absl::Status status = setup({"AUTH", *options.password}, "AUTH"); !status.ok()) {
      return status;
    }
  }
  if (options.db != 0) {
    if (absl::Status status = setup({"SELECT", std::to_string(options.db)}, "SELECT");
        !status.ok()) {
      return status;
    }
  }
  return connection;
}

RedisConnection::RedisConnection(redisContext* context, std::string peer,
                                 absl::Duration command_timeout)
    : context_(context), peer_(std::move(peer)), command_timeout_(command_timeout) {}

RedisConnection::~RedisConnection() { redisFree(context_); }

absl::StatusOr<std::vector<RedisReply>> RedisConnection::Pipeline(
    const std::vector<std::vector<std::string>>& commands) {
  if (broken_) {
    return absl::FailedPreconditionError(absl::StrCat("redis ", peer_, ": connection is broken"));
  }
  ScopedSigpipeBlock block_sigpipe;
  std::vector<const char*> argv;
  std::vector<size_t> argv_lengths;
  for (const std::vector<std::string>& command : commands) {
    argv.clear();
    argv_lengths.clear();
    for (const std::string& argument : command) {
      argv.push_back(argument.data());
      argv_lengths.push_back(argument.size());
    }
    // Only appends to hiredis's output buffer; the first redisGetReply writes it all at once.
    if (redisAppendCommandArgv(context_, static_cast<int>(argv.size()), argv.data(),
                               argv_lengths.data()) != REDIS_OK) {
      return Failure("sending");
    }
  }
  std::vector<RedisReply> replies;
  replies.reserve(commands.size());
  for (size_t i = 0; i < commands.size(); ++i) {
    void* raw = nullptr;
    if (redisGetReply(context_, &raw) != REDIS_OK || raw == nullptr) {
      return Failure("reading a reply");
    }
    const std::unique_ptr<void, ReplyDeleter> owned(raw);
    replies.push_back(CopyReply(*static_cast<const redisReply*>(raw)));
  }
  return replies;
}

absl::StatusOr<RedisReply> RedisConnection::Command(const std::vector<std::string>& arguments) {
  absl::StatusOr<std::vector<RedisReply>> replies = Pipeline({arguments});
  if (!replies.ok()) return replies.status();
  return std::move(replies->front());
}

absl::Status RedisConnection::Failure(std::string_view doing) {
  broken_ = true;
  // hiredis reports a socket timeout (SO_RCVTIMEO / SO_SNDTIMEO) as an I/O error with errno
  // EAGAIN, which it leaves set.
  const bool timed_out = context_->err == REDIS_ERR_IO && (errno == EAGAIN || errno == EWOULDBLOCK);
  if (timed_out) {
    return absl::DeadlineExceededError(absl::StrCat("redis ", peer_, ": ", ToAbsl(doing),
                                                    ": no answer within ",
                                                    absl::FormatDuration(command_timeout_)));
  }
  return absl::UnavailableError(
      absl::StrCat("redis ", peer_, ": ", ToAbsl(doing), ": ", context_->errstr));
}

}  // namespace chaukas::filters::rate_limit
