// A persistent pool of native threads for fork-join calls: run(chunks, f) calls f(chunk) for every chunk in
// [0, chunks) across the calling thread and the workers, and returns when all are done.
//
// Chunks are claimed one at a time from an atomic counter, so a thread the OS preempts delays a call by at most a
// chunk, and a share can never be empty by construction of a range (a thread that finds nothing left just
// returns). Workers spin for a while after a call (kernel calls of a training step come microseconds apart), then
// sleep on a condition variable. Results never depend on which thread ran a chunk: callers make each chunk's
// arithmetic a function of the chunk index and the shape only.
#pragma once
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
    busy_.store((int)workers_.size(), std::memory_order_relaxed);
    gen_.fetch_add(1, std::memory_order_seq_cst);  // publishes the job
    if (sleepers_.load(std::memory_order_seq_cst) > 0) {
      std::lock_guard<std::mutex> l(m_);
      cv_.notify_all();
    }
    work();
    // wait for the workers (their last claimed chunk); yield now and then so a preempted worker can run
    for (unsigned spins = 0; busy_.load(std::memory_order_acquire) != 0; spins++) {
      if ((spins & 1023) == 1023) std::this_thread::yield();
      else relax();
    }
  }

 private:
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

  void loop() {
    unsigned long seen = 0;  // gen_'s initial value: a worker that starts late still takes the first job
    for (;;) {
      // spin ~100 µs for the next call, then sleep
      auto until = std::chrono::steady_clock::now() + std::chrono::microseconds(100);
      unsigned spins = 0;
      while (gen_.load(std::memory_order_acquire) == seen && !stop_.load(std::memory_order_relaxed)) {
        relax();
        if ((++spins & 255) == 0 && std::chrono::steady_clock::now() > until) {
          std::unique_lock<std::mutex> l(m_);
          sleepers_.fetch_add(1, std::memory_order_seq_cst);
          cv_.wait(l, [&] { return gen_.load(std::memory_order_seq_cst) != seen || stop_.load(); });
          sleepers_.fetch_sub(1, std::memory_order_seq_cst);
          break;
        }
      }
      if (stop_.load()) return;
      seen++;  // exactly one job per generation: run() waits for every worker before the next
      work();
      busy_.fetch_sub(1, std::memory_order_acq_rel);
    }
  }

  int nt_;
  std::vector<std::thread> workers_;
  std::mutex m_;
  std::condition_variable cv_;
  std::atomic<bool> stop_{false};
  std::atomic<unsigned long> gen_{0};
  std::atomic<int> sleepers_{0};
  std::atomic<int> busy_{0};
  std::atomic<long> next_{0};
  void (*fn_)(void*, long) = nullptr;
  void* arg_ = nullptr;
  long chunks_ = 0;
};

}  // namespace charnn
