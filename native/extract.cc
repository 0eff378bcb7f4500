// The addon's layer extractor: extractLayer(file, dir, opts) -> Promise<{diffId, size, entries}>.
// Runs off the main thread; one thread decompresses (and hashes), the worker parses and
// writes, so on two cores inflate and the filesystem work overlap.
#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <mutex>
#include <thread>
#include <vector>

#include "errors.h"
#include "layer/decompress.h"
#include "layer/extract.h"
#include "module.h"

namespace gocker {
namespace {

using layer::Compression;
using layer::Whiteouts;

// A bounded queue of decompressed chunks between the inflating thread and the writer.
class Pipeline {
 public:
  Pipeline(int fd, Compression c) : src_(fd, c) {}
  ~Pipeline() { Stop(); }

  void Start() {
    producer_ = std::thread([this] { Produce(); });
  }

  size_t Read(uint8_t* out, size_t cap) {
    while (cur_pos_ == cur_.size()) {
      std::unique_lock<std::mutex> lk(mu_);
      cv_.wait(lk, [this] { return !q_.empty() || done_; });
      if (q_.empty()) {
        if (!error_.empty()) throw layer::SourceError{error_};
        return 0;
      }
      cur_ = std::move(q_.front());
      q_.pop_front();
      cur_pos_ = 0;
      cv_.notify_all();
    }
    size_t n = std::min(cap, cur_.size() - cur_pos_);
    memcpy(out, cur_.data() + cur_pos_, n);
    cur_pos_ += n;
    return n;
  }

  // After the end-of-archive marker: consume the rest so the digest covers it all.
  void Drain() {
    uint8_t buf[65536];
    while (Read(buf, sizeof buf) > 0) {
    }
  }

  void Stop() {
    {
      std::lock_guard<std::mutex> lk(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    if (producer_.joinable()) producer_.join();
  }

  std::string Digest() { return src_.HexDigest(); }
  uint64_t Size() const { return src_.total_out(); }
  std::atomic<uint64_t> bytes_in{0};

 private:
  void Produce() {
    std::vector<uint8_t> chunk;
    size_t n = 0;
    try {
      for (;;) {
        chunk.resize(kChunk);
        n = 0;
        while (n < kChunk) {
          size_t r = src_.Read(chunk.data() + n, kChunk - n);
          if (r == 0) break;
          n += r;
        }
        bytes_in = src_.total_in();
        if (n == 0 || !Push(std::move(chunk), n)) break;
      }
    } catch (const layer::SourceError& e) {
      // What was inflated before the fault goes first, so the error names the entry it hit.
      if (n > 0) Push(std::move(chunk), n);
      std::lock_guard<std::mutex> lk(mu_);
      error_ = e.message;
    }
    std::lock_guard<std::mutex> lk(mu_);
    done_ = true;
    cv_.notify_all();
  }

  bool Push(std::vector<uint8_t>&& chunk, size_t n) {
    chunk.resize(n);
    std::unique_lock<std::mutex> lk(mu_);
    cv_.wait(lk, [this] { return q_.size() < kDepth || stop_; });
    if (stop_) return false;
    q_.push_back(std::move(chunk));
    cv_.notify_all();
    return true;
  }

  static constexpr size_t kChunk = 1 << 20;
  static constexpr size_t kDepth = 8;
  layer::Source src_;
  std::thread producer_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::vector<uint8_t>> q_;
  std::vector<uint8_t> cur_;
  size_t cur_pos_ = 0;
  bool done_ = false;
  bool stop_ = false;
  std::string error_;
};

// Progress goes to JS as the count of compressed bytes consumed (what a pull shows against
// the layer's size), at most every kProgressStep bytes; the last report may be coalesced.
class ExtractWorker : public Napi::AsyncProgressWorker<uint64_t> {
 public:
  ExtractWorker(Napi::Env env, std::string file, std::string dir, Compression c, Whiteouts w, Napi::Function on_progress,
                std::vector<std::string> lowers)
      : Napi::AsyncProgressWorker<uint64_t>(env), deferred_(Napi::Promise::Deferred::New(env)),
        file_(std::move(file)), dir_(std::move(dir)), c_(c), w_(w), lowers_(std::move(lowers)) {
    if (!on_progress.IsEmpty()) progress_cb_ = Napi::Persistent(on_progress);
  }

  Napi::Promise Promise() { return deferred_.Promise(); }

  void OnProgress(const uint64_t* data, size_t count) override {
    if (count == 0 || progress_cb_.IsEmpty()) return;
    Napi::HandleScope scope(Env());
    progress_cb_.Call({Napi::Number::New(Env(), static_cast<double>(data[count - 1]))});
  }

  void Execute(const ExecutionProgress& progress) override {
    int fd = open(file_.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return SetSys(errno, "open", file_);
    int root = open(dir_.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (root < 0) {
      close(fd);
      return SetSys(errno, "open", dir_);
    }
    try {
      layer::Extractor ex(root, w_, geteuid() == 0);
      std::vector<int> lower_fds;
      for (const std::string& l : lowers_) {
        int lfd = open(l.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (lfd < 0) {
          int err = errno;
          for (int f : lower_fds) close(f);
          throw layer::SysFailure{err, "open", l};
        }
        lower_fds.push_back(lfd);
      }
      ex.SetLowers(std::move(lower_fds));
      Pipeline pipe(fd, c_);
      pipe.Start();
      uint64_t reported = 0;
      const bool report = !progress_cb_.IsEmpty();
      layer::ExtractStats st = ex.Run([&](uint8_t* b, size_t n) {
        size_t got = pipe.Read(b, n);
        uint64_t in = pipe.bytes_in;
        if (report && in >= reported + kProgressStep) {
          reported = in;
          progress.Send(&in, 1);
        }
        return got;
      });
      try {
        pipe.Drain();
      } catch (const layer::SourceError& e) {
        throw layer::LayerError{e.message + " after the end of the archive (last entry '" + st.last + "')"};
      }
      pipe.Stop();
      entries_ = st.entries;
      digest_ = pipe.Digest();
      size_ = pipe.Size();
    } catch (const layer::LayerError& e) {
      kind_ = Kind::Layer;
      message_ = e.message;
    } catch (const layer::SysFailure& e) {
      SetSys(e.err, e.syscall, e.path);
    } catch (const layer::SourceError& e) {
      kind_ = Kind::Layer;
      message_ = e.message;
    } catch (const std::exception& e) {
      kind_ = Kind::Layer;
      message_ = e.what();
    }
    close(fd);
    close(root);
  }

  void OnOK() override {
    Napi::Env env = Env();
    if (kind_ == Kind::Sys) {
      deferred_.Reject(SysError(env, err_, syscall_, path_).Value());
    } else if (kind_ == Kind::Layer) {
      deferred_.Reject(CodedError(env, "EBADLAYER", message_).Value());
    } else {
      Napi::Object r = Napi::Object::New(env);
      r.Set("diffId", "sha256:" + digest_);
      r.Set("size", Napi::Number::New(env, static_cast<double>(size_)));
      r.Set("entries", Napi::Number::New(env, static_cast<double>(entries_)));
      deferred_.Resolve(r);
    }
  }

  void OnError(const Napi::Error& e) override { deferred_.Reject(e.Value()); }

 private:
  enum class Kind { Ok, Sys, Layer };
  void SetSys(int err, const char* syscall, const std::string& path) {
    kind_ = Kind::Sys;
    err_ = err;
    syscall_ = syscall;
    path_ = path;
  }

  static constexpr uint64_t kProgressStep = 512 * 1024;
  Napi::Promise::Deferred deferred_;
  Napi::FunctionReference progress_cb_;
  std::string file_, dir_;
  Compression c_;
  Whiteouts w_;
  std::vector<std::string> lowers_;
  Kind kind_ = Kind::Ok;
  int err_ = 0;
  const char* syscall_ = "";
  std::string path_, message_, digest_;
  uint64_t size_ = 0, entries_ = 0;
};

// extractLayer(file, dir, compression: 'none'|'gzip'|'zstd', whiteouts: 'overlay'|'delete', onProgress?, lowers?)
Napi::Value ExtractLayer(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string file = info[0].As<Napi::String>();
  std::string dir = info[1].As<Napi::String>();
  std::string comp = info[2].As<Napi::String>();
  std::string wh = info[3].As<Napi::String>();
  Compression c = comp == "gzip" ? Compression::Gzip : comp == "zstd" ? Compression::Zstd : Compression::None;
  Whiteouts w = wh == "delete" ? Whiteouts::Delete : Whiteouts::Overlay;
  Napi::Function cb = info.Length() > 4 && info[4].IsFunction() ? info[4].As<Napi::Function>() : Napi::Function();
  std::vector<std::string> lowers;
  if (info.Length() > 5 && info[5].IsArray()) {
    Napi::Array a = info[5].As<Napi::Array>();
    for (uint32_t i = 0; i < a.Length(); i++) lowers.push_back(a.Get(i).As<Napi::String>());
  }
  auto* worker = new ExtractWorker(env, file, dir, c, w, cb, std::move(lowers));
  Napi::Promise p = worker->Promise();
  worker->Queue();
  return p;
}

void Init(Napi::Env env, Napi::Object exports) {
  exports.Set("extractLayer", Napi::Function::New(env, ExtractLayer, "extractLayer"));
}

GOCKER_MODULE(Init);

}  // namespace
}  // namespace gocker
