// A persistent pool of native threads for fork-join calls: run(chunks, f) calls f(chunk) for every chunk in
// [0, chunks) across the calling thread and the workers, and returns when all are done.
//
// Chunks are claimed one at a time from an atomic counter, so a thread the OS preempts delays a call by at most a
// chunk (a thread that finds nothing left just returns), and a worker that has not woken up by the time the caller
// has run out of chunks is not waited for at all (see run). Workers spin for a while after a call (kernel calls of a training step come microseconds apart), then
// sleep on a condition variable. Results never depend on which thread ran a chunk: callers make each chunk's
// arithmetic a function of the chunk index and the shape only.
#pragma once
#include <stdint.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

namespace charnn {

class Pool {
 public:
  explicit Pool(int threads) : nt_(threads < 1 ? 1 : threads) {
    for (int t = 1; t < nt_; t++) workers_.emplace_back([this] { loop(); });
  }
  ~Pool() { close(); }
  Pool(const Pool&) = delete;
  Pool& operator=(const Pool&) = delete;

  int threads() const { return nt_; }

  /** Stops and joins the workers; later calls run on the calling thread only. */
  void close() {
    {
      std::lock_guard<std::mutex> l(m_);
      stop_.store(true);
    }
    cv_.notify_all();
    for (auto& w : workers_) w.join();
    workers_.clear();
    nt_ = 1;
  }

  template <class F>
  void run(long chunks, F&& f) {
    if (chunks <= 0) return;
    if (nt_ == 1 || chunks == 1) {
      for (long c = 0; c < chunks; c++) f(c);
      return;
    }
    fn_ = [](void* p, long c) { (*static_cast<F*>(p))(c); };
    arg_ = &f;
    chunks_ = chunks;
    next_.store(0, std::memory_order_relaxed);
    const uint64_t g = ++gen_;
    state_.store(g << GEN_SHIFT, std::memory_order_seq_cst);  // publishes the job: open, nobody inside
    if (sleepers_.load(std::memory_order_seq_cst) > 0) {
      std::lock_guard<std::mutex> l(m_);
      cv_.notify_all();
    }
    work();
    // Close the job: a worker that has not entered yet (descheduled, still asleep) never will, so the call
    // waits only for workers inside it, each finishing the one chunk it holds. On a loaded machine this is the
    // difference between microseconds and a scheduler time slice per call.
    state_.fetch_or(CLOSED, std::memory_order_seq_cst);
    for (unsigned spins = 0; (state_.load(std::memory_order_acquire) & INSIDE) != 0; spins++) {
      if ((spins & 1023) == 1023) std::this_thread::yield();
      else relax();
    }
  }

 private:
  static constexpr int GEN_SHIFT = 33;
  static constexpr uint64_t CLOSED = 1ull << 32, INSIDE = 0xffffffffull;

  static inline void relax() {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    asm volatile("yield");
#endif
  }

  void work() {
    for (long c; (c = next_.fetch_add(1, std::memory_order_relaxed)) < chunks_;) fn_(arg_, c);
  }

  /** Enters job g if it is still open (then the caller waits for us and the job's fields are valid). */
  bool enter(uint64_t g) {
    uint64_t s = state_.load(std::memory_order_acquire);
    while ((s >> GEN_SHIFT) == g && !(s & CLOSED)) {
      if (state_.compare_exchange_weak(s, s + 1, std::memory_order_acq_rel)) return true;
    }
    return false;
  }

  void loop() {
    uint64_t seen = 0;
    for (;;) {
      // spin ~100 µs for the next call, then sleep
      auto until = std::chrono::steady_clock::now() + std::chrono::microseconds(100);
      unsigned spins = 0;
      auto gen = [&] { return state_.load(std::memory_order_acquire) >> GEN_SHIFT; };
      while (gen() == seen && !stop_.load(std::memory_order_relaxed)) {
        relax();
        if ((++spins & 255) == 0 && std::chrono::steady_clock::now() > until) {
          std::unique_lock<std::mutex> l(m_);
          sleepers_.fetch_add(1, std::memory_order_seq_cst);
          cv_.wait(l, [&] { return gen() != seen || stop_.load(); });
          sleepers_.fetch_sub(1, std::memory_order_seq_cst);
          break;
        }
      }
      if (stop_.load()) return;
      seen = gen();
      if (!enter(seen)) continue;  // too late for that job: wait for the next
      work();
      state_.fetch_sub(1, std::memory_order_acq_rel);
    }
  }

  int nt_;
  std::vector<std::thread> workers_;
  std::mutex m_;
  std::condition_variable cv_;
  std::atomic<bool> stop_{false};
  uint64_t gen_ = 0;                  // jobs started (caller thread only)
  std::atomic<uint64_t> state_{0};    // the current job: gen << 33 | CLOSED | workers inside
  std::atomic<int> sleepers_{0};
  std::atomic<long> next_{0};
  void (*fn_)(void*, long) = nullptr;
  void* arg_ = nullptr;
  long chunks_ = 0;
};

}  // namespace charnn
