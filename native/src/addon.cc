// Node-API bindings (node-addon-api): class Native(threads, isa) with one method per kernel of src/math/kernels.ts.
// Every method checks its arguments before any native code touches memory: arrays must be Float32Array /
// Int32Array, sizes non-negative integers, every array long enough for the shape it is given, and token ids
// inside the table, so a wrong call throws a RangeError or TypeError instead of writing outside an output.
// Arrays are used in place (their own memory, no copies).
#include <napi.h>

#include <math.h>

#include <string>

#include "backend.h"

namespace {

using charnn::Backend;

/** Argument reader for one call: the first failure is remembered and thrown once, at the end. */
class Args {
 public:
  Args(const Napi::CallbackInfo& info, const char* op) : info_(info), op_(op) {}

  long size(size_t i, const char* name) {
    double v = num(i, name);
    // at most 2^30, so products such as 4·B·H of two sizes stay exact in 64 bits
    if (ok_ && !(v >= 0 && v <= 1073741824.0 && v == floor(v))) fail(true, std::string(name) + " must be an integer in [0, 2^30], got " + std::to_string(v));
    return ok_ ? (long)v : 0;
  }
  double num(size_t i, const char* name) {
    double v = 0;
    if (ok_ && napi_get_value_double(info_.Env(), info_[i], &v) != napi_ok) fail(false, std::string(name) + " must be a number");
    return v;
  }
  bool flag(size_t i, const char* name = "acc") {
    bool v = false;
    if (ok_ && napi_get_value_bool(info_.Env(), info_[i], &v) != napi_ok) fail(false, std::string(name) + " must be a boolean");
    return v;
  }
  /** A Float32Array of at least `need` elements. */
  float* f32(size_t i, const char* name, long need) { return static_cast<float*>(typed(i, name, need, napi_float32_array)); }
  int32_t* i32(size_t i, const char* name, long need) { return static_cast<int32_t*>(typed(i, name, need, napi_int32_array)); }
  /** Ids all in [0, rows). */
  void ids(const int32_t* id, long n, long rows) {
    if (!ok_) return;
    for (long m = 0; m < n; m++)
      if (id[m] < 0 || id[m] >= rows) {
        fail(true, "id " + std::to_string(id[m]) + " at row " + std::to_string(m) + " is outside [0, " + std::to_string(rows) + ")");
        return;
      }
  }
  size_t length(size_t i) {
    napi_typedarray_type t;
    size_t len = 0;
    if (napi_get_typedarray_info(info_.Env(), info_[i], &t, &len, nullptr, nullptr, nullptr) != napi_ok) return 0;
    return len;
  }
  bool ok() const { return ok_; }
  /** Throws the remembered failure (call when !ok()). */
  Napi::Value raise() {
    Napi::Env env = info_.Env();
    std::string msg = std::string("native ") + op_ + ": " + msg_;
    if (range_) Napi::RangeError::New(env, msg).ThrowAsJavaScriptException();
    else Napi::TypeError::New(env, msg).ThrowAsJavaScriptException();
    return env.Undefined();
  }

 private:
  void* typed(size_t i, const char* name, long need, napi_typedarray_type want) {
    if (!ok_) return nullptr;
    napi_typedarray_type t;
    size_t len = 0;
    void* data = nullptr;
    if (napi_get_typedarray_info(info_.Env(), info_[i], &t, &len, &data, nullptr, nullptr) != napi_ok || t != want) {
      fail(false, std::string(name) + " must be a " + (want == napi_float32_array ? "Float32Array" : "Int32Array"));
      return nullptr;
    }
    if ((long)len < need) {
      fail(true, std::string(name) + " has " + std::to_string(len) + " elements, the shape needs " + std::to_string(need));
      return nullptr;
    }
    return data;
  }

 public:
  void fail(bool range, std::string msg) {
    ok_ = false;
    range_ = range;
    msg_ = std::move(msg);
  }

 private:
  const Napi::CallbackInfo& info_;
  const char* op_;
  bool ok_ = true, range_ = false;
  std::string msg_;
};

class Native : public Napi::ObjectWrap<Native> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "Native", {
      InstanceAccessor<&Native::Isa>("isa"), InstanceAccessor<&Native::Threads>("threads"),
      InstanceAccessor<&Native::Tile>("tile"),
      InstanceMethod<&Native::Close>("close"), InstanceMethod<&Native::Approx>("approx"),
      InstanceMethod<&Native::Fill>("fill"), InstanceMethod<&Native::Copy>("copy"), InstanceMethod<&Native::Axpy>("axpy"),
      InstanceMethod<&Native::Scale>("scale"), InstanceMethod<&Native::Mul>("mul"), InstanceMethod<&Native::SumSq>("sumSq"),
      InstanceMethod<&Native::PackedSize>("packedSize"), InstanceMethod<&Native::PackRight>("packRight"),
      InstanceMethod<&Native::MmPacked>("mmPacked"),
      InstanceMethod<&Native::Mm>("mm"), InstanceMethod<&Native::MmNT>("mmNT"), InstanceMethod<&Native::MmTN>("mmTN"),
      InstanceMethod<&Native::RowsSet>("rowsSet"), InstanceMethod<&Native::ColSumAcc>("colSumAcc"),
      InstanceMethod<&Native::GatherAdd>("gatherAdd"), InstanceMethod<&Native::ScatterAdd>("scatterAdd"),
      InstanceMethod<&Native::LstmForward>("lstmForward"), InstanceMethod<&Native::LstmBackward>("lstmBackward"),
      InstanceMethod<&Native::GruForward>("gruForward"), InstanceMethod<&Native::GruBackward>("gruBackward"),
      InstanceMethod<&Native::RnnForward>("rnnForward"), InstanceMethod<&Native::RnnBackward>("rnnBackward"),
      InstanceMethod<&Native::SoftmaxXent>("softmaxXent"), InstanceMethod<&Native::Adam>("adam"),
      InstanceMethod<&Native::Rmsprop>("rmsprop"), InstanceMethod<&Native::Sgd>("sgd"),
      InstanceMethod<&Native::LayerNormForward>("layerNormForward"),
      InstanceMethod<&Native::LayerNormBackward>("layerNormBackward"),
      InstanceMethod<&Native::LstmNormForward>("lstmNormForward"), InstanceMethod<&Native::LstmNormBackward>("lstmNormBackward"),
    });
  }

  Native(const Napi::CallbackInfo& info) : Napi::ObjectWrap<Native>(info) {
    Napi::Env env = info.Env();
    double threads = info[0].IsNumber() ? info[0].As<Napi::Number>().DoubleValue() : 1;
    if (!(threads >= 1 && threads <= 1024 && threads == floor(threads))) {
      Napi::RangeError::New(env, "native: threads must be an integer in [1, 1024]").ThrowAsJavaScriptException();
      return;
    }
    std::string isa = info[1].IsString() ? info[1].As<Napi::String>().Utf8Value() : "";
    std::string err;
    const charnn::Ops* ops = charnn::selectOps(isa, &err);
    if (!ops) {
      Napi::Error::New(env, "native: " + err).ThrowAsJavaScriptException();
      return;
    }
    be_ = new Backend(ops, (int)threads);
  }
  ~Native() override { delete be_; }

 private:
  Napi::Value Isa(const Napi::CallbackInfo& info) { return Napi::String::New(info.Env(), be_ ? be_->ops().name : ""); }
  Napi::Value Threads(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), be_ ? be_->threads() : 0); }
  Napi::Value Tile(const Napi::CallbackInfo& info) {
    return Napi::String::New(info.Env(), be_ ? std::to_string(be_->ops().mr) + "x" + std::to_string(be_->ops().nr) : "");
  }
  Napi::Value Close(const Napi::CallbackInfo& info) {
    if (be_) be_->close();
    return info.Env().Undefined();
  }
  Napi::Value Approx(const Napi::CallbackInfo& info) {
    Args a(info, "approx");
    long fn = a.size(0, "fn"), n = a.size(3, "n");
    float* out = a.f32(1, "out", n);
    const float* x = a.f32(2, "x", n);
    if (a.ok() && fn > 2) a.fail(true, "fn must be 0 (exp), 1 (sigmoid) or 2 (tanh)");
    if (!a.ok()) return a.raise();
    be_->ops().approx((int)fn, out, x, n);
    return info.Env().Undefined();
  }

  // ---- elementwise ---------------------------------------------------------------------------------------------
  Napi::Value Fill(const Napi::CallbackInfo& info) {
    Args a(info, "fill");
    long n = a.size(2, "n");
    float v = (float)a.num(1, "value");
    float* out = a.f32(0, "out", n);
    if (!a.ok()) return a.raise();
    be_->fill(out, v, n);
    return info.Env().Undefined();
  }
  Napi::Value Copy(const Napi::CallbackInfo& info) {
    Args a(info, "copy");
    long n = a.size(2, "n");
    float* out = a.f32(0, "out", n);
    const float* src = a.f32(1, "src", n);
    if (!a.ok()) return a.raise();
    be_->copy(out, src, n);
    return info.Env().Undefined();
  }
  Napi::Value Axpy(const Napi::CallbackInfo& info) {
    Args a(info, "axpy");
    long n = a.size(3, "n");
    float alpha = (float)a.num(1, "alpha");
    float* y = a.f32(0, "y", n);
    const float* x = a.f32(2, "x", n);
    if (!a.ok()) return a.raise();
    be_->axpy(y, alpha, x, n);
    return info.Env().Undefined();
  }
  Napi::Value Scale(const Napi::CallbackInfo& info) {
    Args a(info, "scale");
    long n = a.size(2, "n");
    float alpha = (float)a.num(1, "alpha");
    float* x = a.f32(0, "x", n);
    if (!a.ok()) return a.raise();
    be_->scale(x, alpha, n);
    return info.Env().Undefined();
  }
  Napi::Value Mul(const Napi::CallbackInfo& info) {
    Args a(info, "mul");
    long n = a.size(3, "n");
    float* out = a.f32(0, "out", n);
    const float* x = a.f32(1, "a", n);
    const float* y = a.f32(2, "b", n);
    if (!a.ok()) return a.raise();
    be_->mul(out, x, y, n);
    return info.Env().Undefined();
  }
  Napi::Value SumSq(const Napi::CallbackInfo& info) {
    Args a(info, "sumSq");
    long n = a.size(1, "n");
    const float* x = a.f32(0, "x", n);
    if (!a.ok()) return a.raise();
    return Napi::Number::New(info.Env(), be_->sumSq(x, n));
  }

  // ---- products ---------------------------------------------------------------------------------------------------
  Napi::Value Gemm(const Napi::CallbackInfo& info, const char* op, bool aT, bool bT) {
    Args a(info, op);
    long M = a.size(3, "M"), K = a.size(4, "K"), N = a.size(5, "N");
    bool acc = a.flag(6);
    float* out = a.f32(0, "out", M * N);
    const float* x = a.f32(1, "a", M * K);
    const float* y = a.f32(2, "b", K * N);
    if (!a.ok()) return a.raise();
    be_->gemm(aT, bT, out, x, y, M, K, N, acc);
    return info.Env().Undefined();
  }
  Napi::Value Mm(const Napi::CallbackInfo& info) { return Gemm(info, "mm", false, false); }
  Napi::Value MmNT(const Napi::CallbackInfo& info) { return Gemm(info, "mmNT", false, true); }
  Napi::Value MmTN(const Napi::CallbackInfo& info) { return Gemm(info, "mmTN", true, false); }

  // packed right operands: packRight(dst, b, K, N, bT), mmPacked(out, a, packed, M, K, N, bT, acc)
  Napi::Value PackedSize(const Napi::CallbackInfo& info) {
    Args a(info, "packedSize");
    long K = a.size(0, "K"), N = a.size(1, "N");
    if (!a.ok()) return a.raise();
    return Napi::Number::New(info.Env(), (double)be_->packedSize(K, N));
  }
  Napi::Value PackRight(const Napi::CallbackInfo& info) {
    Args a(info, "packRight");
    long K = a.size(2, "K"), N = a.size(3, "N");
    bool bT = a.flag(4, "bT");
    if (a.ok() && (K > 0x7fffffffL || N > 0x7fffffffL)) a.fail(true, "K and N must fit 31 bits");
    float* dst = a.f32(0, "dst", a.ok() ? be_->packedSize(K, N) : 0);
    const float* b = a.f32(1, "b", K * N);
    if (!a.ok()) return a.raise();
    be_->packRight(dst, b, K, N, bT);
    return info.Env().Undefined();
  }
  Napi::Value MmPacked(const Napi::CallbackInfo& info) {
    Args a(info, "mmPacked");
    long M = a.size(3, "M"), K = a.size(4, "K"), N = a.size(5, "N");
    bool bT = a.flag(6, "bT"), acc = a.flag(7);
    float* out = a.f32(0, "out", M * N);
    const float* x = a.f32(1, "a", M * K);
    const float* pb = a.f32(2, "packed", 0);
    const float* pan = nullptr;
    if (a.ok()) {
      pan = be_->packedPanels(pb, (long)a.length(2), K, N, bT);
      if (!pan) a.fail(true, "packed was not written by this backend's packRight for this shape (K " + std::to_string(K) +
                                 ", N " + std::to_string(N) + ", bT " + (bT ? "true" : "false") + ")");
    }
    if (!a.ok()) return a.raise();
    be_->mmPacked(out, x, pan, M, K, N, acc);
    return info.Env().Undefined();
  }

  Napi::Value RowsSet(const Napi::CallbackInfo& info) {
    Args a(info, "rowsSet");
    long M = a.size(2, "M"), N = a.size(3, "N");
    float* out = a.f32(0, "out", M * N);
    const float* bias = a.f32(1, "bias", N);
    if (!a.ok()) return a.raise();
    be_->rowsSet(out, bias, M, N);
    return info.Env().Undefined();
  }
  Napi::Value ColSumAcc(const Napi::CallbackInfo& info) {
    Args a(info, "colSumAcc");
    long M = a.size(2, "M"), N = a.size(3, "N");
    float* out = a.f32(0, "out", N);
    const float* x = a.f32(1, "a", M * N);
    if (!a.ok()) return a.raise();
    be_->colSumAcc(out, x, M, N);
    return info.Env().Undefined();
  }
  Napi::Value GatherAdd(const Napi::CallbackInfo& info) {
    Args a(info, "gatherAdd");
    long M = a.size(3, "M"), N = a.size(4, "N");
    float* out = a.f32(0, "out", M * N);
    const float* table = a.f32(1, "table", 0);
    const int32_t* ids = a.i32(2, "ids", M);
    if (a.ok() && N > 0) a.ids(ids, M, (long)(a.length(1) / N));
    if (!a.ok()) return a.raise();
    be_->gatherAdd(out, table, ids, M, N);
    return info.Env().Undefined();
  }
  Napi::Value ScatterAdd(const Napi::CallbackInfo& info) {
    Args a(info, "scatterAdd");
    long M = a.size(3, "M"), N = a.size(4, "N");
    float* table = a.f32(0, "table", 0);
    const float* d = a.f32(1, "d", M * N);
    const int32_t* ids = a.i32(2, "ids", M);
    if (a.ok() && N > 0) a.ids(ids, M, (long)(a.length(0) / N));
    if (!a.ok()) return a.raise();
    be_->scatterAdd(table, d, ids, M, N);
    return info.Env().Undefined();
  }

  // ---- cells ------------------------------------------------------------------------------------------------------
  Napi::Value LstmForward(const Napi::CallbackInfo& info) {
    Args a(info, "lstmForward");
    long B = a.size(5, "B"), H = a.size(6, "H");
    float* h = a.f32(0, "h", B * H);
    float* c = a.f32(1, "c", B * H);
    float* act = a.f32(2, "act", 4 * B * H);
    const float* pre = a.f32(3, "pre", 4 * B * H);
    const float* cPrev = a.f32(4, "cPrev", B * H);
    if (!a.ok()) return a.raise();
    be_->lstmForward(h, c, act, pre, cPrev, B, H);
    return info.Env().Undefined();
  }
  Napi::Value LstmBackward(const Napi::CallbackInfo& info) {
    Args a(info, "lstmBackward");
    long B = a.size(7, "B"), H = a.size(8, "H");
    float* dpre = a.f32(0, "dpre", 4 * B * H);
    float* dcPrev = a.f32(1, "dcPrev", B * H);
    const float* dh = a.f32(2, "dh", B * H);
    const float* dc = a.f32(3, "dc", B * H);
    const float* act = a.f32(4, "act", 4 * B * H);
    const float* c = a.f32(5, "c", B * H);
    const float* cPrev = a.f32(6, "cPrev", B * H);
    if (!a.ok()) return a.raise();
    be_->lstmBackward(dpre, dcPrev, dh, dc, act, c, cPrev, B, H);
    return info.Env().Undefined();
  }
  Napi::Value GruForward(const Napi::CallbackInfo& info) {
    Args a(info, "gruForward");
    long B = a.size(5, "B"), H = a.size(6, "H");
    float* h = a.f32(0, "h", B * H);
    float* act = a.f32(1, "act", 3 * B * H);
    const float* gi = a.f32(2, "gi", 3 * B * H);
    const float* gh = a.f32(3, "gh", 3 * B * H);
    const float* hPrev = a.f32(4, "hPrev", B * H);
    if (!a.ok()) return a.raise();
    be_->gruForward(h, act, gi, gh, hPrev, B, H);
    return info.Env().Undefined();
  }
  Napi::Value GruBackward(const Napi::CallbackInfo& info) {
    Args a(info, "gruBackward");
    long B = a.size(7, "B"), H = a.size(8, "H");
    float* dgi = a.f32(0, "dgi", 3 * B * H);
    float* dgh = a.f32(1, "dgh", 3 * B * H);
    float* dhPrev = a.f32(2, "dhPrev", B * H);
    const float* dh = a.f32(3, "dh", B * H);
    const float* act = a.f32(4, "act", 3 * B * H);
    const float* gh = a.f32(5, "gh", 3 * B * H);
    const float* hPrev = a.f32(6, "hPrev", B * H);
    if (!a.ok()) return a.raise();
    be_->gruBackward(dgi, dgh, dhPrev, dh, act, gh, hPrev, B, H);
    return info.Env().Undefined();
  }
  Napi::Value RnnForward(const Napi::CallbackInfo& info) {
    Args a(info, "rnnForward");
    long B = a.size(2, "B"), H = a.size(3, "H");
    float* h = a.f32(0, "h", B * H);
    const float* pre = a.f32(1, "pre", B * H);
    if (!a.ok()) return a.raise();
    be_->rnnForward(h, pre, B * H);
    return info.Env().Undefined();
  }
  Napi::Value RnnBackward(const Napi::CallbackInfo& info) {
    Args a(info, "rnnBackward");
    long B = a.size(3, "B"), H = a.size(4, "H");
    float* dpre = a.f32(0, "dpre", B * H);
    const float* dh = a.f32(1, "dh", B * H);
    const float* h = a.f32(2, "h", B * H);
    if (!a.ok()) return a.raise();
    be_->rnnBackward(dpre, dh, h, B * H);
    return info.Env().Undefined();
  }

  // ---- loss and optimizers -----------------------------------------------------------------------------------------
  Napi::Value SoftmaxXent(const Napi::CallbackInfo& info) {
    Args a(info, "softmaxXent");
    long M = a.size(3, "M"), V = a.size(4, "V");
    float gs = (float)a.num(5, "gradScale");
    float* dl = a.f32(0, "dlogits", M * V);
    const float* logits = a.f32(1, "logits", M * V);
    const int32_t* t = a.i32(2, "targets", M);
    if (a.ok()) a.ids(t, M, V);
    if (!a.ok()) return a.raise();
    return Napi::Number::New(info.Env(), be_->softmaxXent(dl, logits, t, M, V, gs));
  }
  Napi::Value Adam(const Napi::CallbackInfo& info) {
    Args a(info, "adam");
    long n = a.size(4, "n");
    double lr = a.num(5, "lr"), b1 = a.num(6, "b1"), b2 = a.num(7, "b2"), eps = a.num(8, "eps"), t = a.num(9, "t");
    double gs = a.num(10, "gScale");
    float* p = a.f32(0, "p", n);
    const float* g = a.f32(1, "g", n);
    float* m = a.f32(2, "m", n);
    float* v = a.f32(3, "v", n);
    if (!a.ok()) return a.raise();
    // bias corrections in float64, once per call
    const double step = lr / (1 - pow(b1, t)), ibc2 = 1 / (1 - pow(b2, t));
    be_->adam(p, g, m, v, n, (float)step, (float)b1, (float)b2, (float)ibc2, (float)eps, (float)gs);
    return info.Env().Undefined();
  }
  Napi::Value Rmsprop(const Napi::CallbackInfo& info) {
    Args a(info, "rmsprop");
    long n = a.size(3, "n");
    double lr = a.num(4, "lr"), alpha = a.num(5, "alpha"), eps = a.num(6, "eps"), gs = a.num(7, "gScale");
    float* p = a.f32(0, "p", n);
    const float* g = a.f32(1, "g", n);
    float* s = a.f32(2, "s", n);
    if (!a.ok()) return a.raise();
    be_->rmsprop(p, g, s, n, (float)lr, (float)alpha, (float)eps, (float)gs);
    return info.Env().Undefined();
  }
  Napi::Value Sgd(const Napi::CallbackInfo& info) {
    Args a(info, "sgd");
    long n = a.size(3, "n");
    double lr = a.num(4, "lr"), mom = a.num(5, "momentum"), gs = a.num(6, "gScale");
    float* p = a.f32(0, "p", n);
    const float* g = a.f32(1, "g", n);
    float* buf = a.f32(2, "buf", n);
    if (!a.ok()) return a.raise();
    be_->sgd(p, g, buf, n, (float)lr, (float)mom, (float)gs);
    return info.Env().Undefined();
  }

  // ---- layer norm --------------------------------------------------------------------------------------------------
  Napi::Value LayerNormForward(const Napi::CallbackInfo& info) {
    Args a(info, "layerNormForward");
    long M = a.size(6, "M"), N = a.size(7, "N");
    float* y = a.f32(0, "y", M * N);
    float* mean = a.f32(1, "mean", M);
    float* rstd = a.f32(2, "rstd", M);
    const float* x = a.f32(3, "x", M * N);
    const float* gain = a.f32(4, "gain", N);
    const float* bias = a.f32(5, "bias", N);
    if (!a.ok()) return a.raise();
    be_->layerNormForward(y, mean, rstd, x, gain, bias, M, N);
    return info.Env().Undefined();
  }
  Napi::Value LayerNormBackward(const Napi::CallbackInfo& info) {
    Args a(info, "layerNormBackward");
    long M = a.size(8, "M"), N = a.size(9, "N");
    float* dx = a.f32(0, "dx", M * N);
    float* dgain = a.f32(1, "dgain", N);
    float* dbias = a.f32(2, "dbias", N);
    const float* dy = a.f32(3, "dy", M * N);
    const float* x = a.f32(4, "x", M * N);
    const float* mean = a.f32(5, "mean", M);
    const float* rstd = a.f32(6, "rstd", M);
    const float* gain = a.f32(7, "gain", N);
    if (!a.ok()) return a.raise();
    be_->layerNormBackward(dx, dgain, dbias, dy, x, mean, rstd, gain, M, N);
    return info.Env().Undefined();
  }
  Napi::Value LstmNormForward(const Napi::CallbackInfo& info) {
    Args a(info, "lstmNormForward");
    long B = a.size(3, "B"), H = a.size(4, "H");
    float* h = a.f32(0, "h", B * H);
    const float* act = a.f32(1, "act", 4 * B * H);
    const float* cn = a.f32(2, "cn", B * H);
    if (!a.ok()) return a.raise();
    be_->lstmNormForward(h, act, cn, B, H);
    return info.Env().Undefined();
  }
  Napi::Value LstmNormBackward(const Napi::CallbackInfo& info) {
    Args a(info, "lstmNormBackward");
    long B = a.size(4, "B"), H = a.size(5, "H");
    float* dcn = a.f32(0, "dcn", B * H);
    const float* dh = a.f32(1, "dh", B * H);
    const float* act = a.f32(2, "act", 4 * B * H);
    const float* cn = a.f32(3, "cn", B * H);
    if (!a.ok()) return a.raise();
    be_->lstmNormBackward(dcn, dh, act, cn, B, H);
    return info.Env().Undefined();
  }

  Backend* be_ = nullptr;
};

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("Native", Native::Define(env));
  exports.Set("supported", Napi::String::New(env, charnn::supportedIsas()));
  return exports;
}

}  // namespace

NODE_API_MODULE(charnn, Init)
