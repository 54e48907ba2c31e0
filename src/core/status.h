// vhm::Status and vhm::Result<T>: errors as values, carrying a code, a message and
// the subject they concern (usually a file), in the manner of RocksDB's Status.
// Library exceptions are caught where the library is called and turned into these;
// only cli/ and daemon/ turn them into output and exit codes.
#pragma once

#include <cassert>
#include <string>
#include <utility>
#include <variant>

namespace vhm {

enum class StatusCode {
  kOk = 0,
  kInvalidArgument,   // bad flag value, malformed hash, impossible size
  kNotFound,          // missing file
  kIoError,           // read or write failed
  kCorrupt,           // data present but undecodable (truncated, garbage)
  kUnsupported,       // valid data of a kind vhm does not handle
  kUnavailable,       // a resource that is absent here (no GPU, no network)
  kLimitExceeded,     // an input went past a limit that protects the process (pixels, bytes, time)
  kPermissionDenied,  // an input asked for what its policy forbids (a protocol, a path outside the roots)
  kInternal,          // a broken invariant inside vhm or a library
};

const char* status_code_name(StatusCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;  // OK
  Status(StatusCode code, std::string message, std::string subject = {})
      : code_(code), message_(std::move(message)), subject_(std::move(subject)) {}

  static Status ok() { return {}; }

  bool is_ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }
  const std::string& subject() const { return subject_; }

  // Returns a copy naming `subject` when none was set yet (errors from deep down
  // learn which file they concern on the way up).
  Status with_subject(const std::string& subject) const {
    Status s = *this;
    if (s.subject_.empty()) s.subject_ = subject;
    return s;
  }

  // "subject: message" (or just the message when there is no subject).
  std::string to_string() const;

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
  std::string subject_;
};

// A value or the Status that explains why there is none.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}        // NOLINT: implicit by design
  Result(Status status) : v_(std::move(status)) {  // NOLINT: implicit by design
    assert(!std::get<Status>(v_).is_ok() && "Result built from an OK status");
  }

  bool is_ok() const { return std::holds_alternative<T>(v_); }
  explicit operator bool() const { return is_ok(); }

  const Status& status() const {
    static const Status kOk;
    return is_ok() ? kOk : std::get<Status>(v_);
  }
  T& value() & { return std::get<T>(v_); }
  const T& value() const& { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

 private:
  std::variant<T, Status> v_;
};

}  // namespace vhm

// Propagates a non-OK Status from an expression returning Status.
#define VHM_RETURN_IF_ERROR(expr)                 \
  do {                                            \
    ::vhm::Status vhm_status_ = (expr);           \
    if (!vhm_status_.is_ok()) return vhm_status_; \
  } while (0)
