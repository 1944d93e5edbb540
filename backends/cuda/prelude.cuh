// graphc's CUDA prelude: the helpers generated kernels call, with NumPy's semantics.
//
// It compiles with NVRTC for the device and, for graphc's tests on machines without a GPU,
// with a host C++ compiler (no __CUDACC__): every helper is __host__ __device__, and the
// few that need PTX have a host version beside them.
//
// Integer arithmetic wraps around as NumPy's does (signed overflow is undefined in C++,
// so it goes through unsigned types; uint8, int8 and int16 compute in int and wrap when
// converted back to their own type, which every result is). Values of float16 live in float registers and are
// rounded to half precision after every operation that makes one, as NumPy's float16
// loops do; in memory they are the 16 bits of an IEEE half.

#ifndef __CUDACC__
#include <cmath>
#include <cstring>
using std::copysign;
using std::floor;
using std::fmod;
#define __host__
#define __device__
#define __forceinline__ inline
#endif

#define GC_FN __host__ __device__ __forceinline__

#define GC_I32_MIN (-2147483647 - 1)
#define GC_I64_MIN (-9223372036854775807LL - 1)
#define GC_I32_MAX 2147483647
#define GC_I64_MAX 9223372036854775807LL

// Errors a kernel cannot raise itself: it sets a bit in gc_status, which the host reads
// (graphc/backends/cuda/runtime.py) and turns into NumPy's exception.
#define GC_NEGATIVE_POWER 1u
#ifdef __CUDACC__
__device__ unsigned int gc_status;
GC_FN void gc_raise(unsigned int code) { atomicOr(&gc_status, code); }
#else
static unsigned int gc_status;
GC_FN void gc_raise(unsigned int code) { gc_status |= code; }
#endif

// ------------------------------------------------------------------ special values by bits
GC_FN float gc_f32_bits(unsigned int u) { float f; memcpy(&f, &u, 4); return f; }
GC_FN double gc_f64_bits(unsigned long long u) { double d; memcpy(&d, &u, 8); return d; }

// ------------------------------------------------------------- wrapping integer arithmetic
GC_FN int gc_add(int a, int b) { return (int)((unsigned)a + (unsigned)b); }
GC_FN int gc_sub(int a, int b) { return (int)((unsigned)a - (unsigned)b); }
GC_FN int gc_mul(int a, int b) { return (int)((unsigned)a * (unsigned)b); }
GC_FN int gc_neg(int a) { return (int)(0u - (unsigned)a); }
GC_FN long long gc_add(long long a, long long b) {
  return (long long)((unsigned long long)a + (unsigned long long)b);
}
GC_FN long long gc_sub(long long a, long long b) {
  return (long long)((unsigned long long)a - (unsigned long long)b);
}
GC_FN long long gc_mul(long long a, long long b) {
  return (long long)((unsigned long long)a * (unsigned long long)b);
}
GC_FN long long gc_neg(long long a) { return (long long)(0ull - (unsigned long long)a); }
template <typename T> GC_FN T gc_iabs(T a) { return a < 0 ? gc_neg(a) : a; }
template <typename T> GC_FN T gc_isign(T a) { return (T)((a > 0) - (a < 0)); }

// NumPy's // and % on integers: rounding towards -inf, the remainder takes the divisor's
// sign, division by zero gives 0, and MIN // -1 wraps around to MIN.
template <typename T> GC_FN T gc_ifloordiv(T a, T b) {
  if (b == 0) return 0;
  if (b == -1) return gc_neg(a);
  T q = a / b;
  if ((a > 0) != (b > 0) && q * b != a) q -= 1;
  return q;
}
template <typename T> GC_FN T gc_imod(T a, T b) {
  if (b == 0 || b == -1) return 0;
  T r = a % b;
  if (r != 0 && (r < 0) != (b < 0)) r += b;
  return r;
}
// Integer powers by squaring, wrapping around; a negative exponent is NumPy's ValueError.
template <typename T> GC_FN T gc_ipow(T a, T b) {
  if (b < 0) { gc_raise(GC_NEGATIVE_POWER); return 0; }
  T r = 1;
  while (b) {
    if (b & 1) r = gc_mul(r, a);
    a = gc_mul(a, a);
    b >>= 1;
  }
  return r;
}

// ------------------------------------------------------------------------ floating point
// NumPy's maximum and minimum: a NaN in either operand wins; of two equal values (0.0 and
// -0.0) the second, except in float16, whose loops compare with >= and <= (the first).
template <typename T> GC_FN T gc_maximum(T a, T b) { return (a > b || a != a) ? a : b; }
template <typename T> GC_FN T gc_minimum(T a, T b) { return (a < b || a != a) ? a : b; }
GC_FN float gc_hmaximum(float a, float b) { return (a >= b || a != a) ? a : b; }
GC_FN float gc_hminimum(float a, float b) { return (a <= b || a != a) ? a : b; }
// -1, 0 or 1; NaN stays NaN, -0.0 gives 0.0.
template <typename T> GC_FN T gc_sign(T x) {
  return x > 0 ? (T)1 : x < 0 ? (T)-1 : (x != x ? x : (T)0);
}
// max(x, 0) keeping NaN, as torch.relu and NumPy's maximum(x, 0).
template <typename T> GC_FN T gc_relu(T x) { return (x > 0 || x != x) ? x : (T)0; }

// NumPy's floor_divide and remainder of floats (npy_divmod): fmod, then the quotient
// corrected towards -inf and snapped to the nearest integer; the remainder takes the
// divisor's sign, and division by zero gives the quotient a / b and a NaN remainder.
template <typename T> GC_FN T gc_divmod(T a, T b, T* modulus) {
  T mod = fmod(a, b);
  if (!b) { *modulus = mod; return a / b; }
  T div = (a - mod) / b;
  if (mod) {
    if ((b < 0) != (mod < 0)) { mod += b; div -= (T)1; }
  } else {
    mod = copysign((T)0, b);
  }
  T floordiv;
  if (div) {
    floordiv = floor(div);
    if (div - floordiv > (T)0.5) floordiv += (T)1;
  } else {
    floordiv = copysign((T)0, a / b);
  }
  *modulus = mod;
  return floordiv;
}
template <typename T> GC_FN T gc_floordiv(T a, T b) {
  if (!b) return a / b;
  T mod;
  return gc_divmod(a, b, &mod);
}
template <typename T> GC_FN T gc_mod(T a, T b) {
  if (!b) return fmod(a, b);
  T mod;
  gc_divmod(a, b, &mod);
  return mod;
}

// 1 / (1 + exp(-x)), without overflow for large |x|.
GC_FN float gc_sigmoid(float x) {
  float e = expf(-fabsf(x));
  return x >= 0 ? 1.0f / (1.0f + e) : e / (1.0f + e);
}
GC_FN double gc_sigmoid(double x) {
  double e = exp(-fabs(x));
  return x >= 0 ? 1.0 / (1.0 + e) : e / (1.0 + e);
}

// Casts of floats to integers as NumPy's on x86-64: NaN, infinities and values out of
// range give the most negative integer (CUDA's own conversion would saturate).
GC_FN int gc_to_i32(float x) { return (x >= -2147483648.0f && x < 2147483648.0f) ? (int)x : GC_I32_MIN; }
GC_FN int gc_to_i32(double x) { return (x >= -2147483648.0 && x < 2147483648.0) ? (int)x : GC_I32_MIN; }
GC_FN long long gc_to_i64(float x) {
  return (x >= -9223372036854775808.0f && x < 9223372036854775808.0f) ? (long long)x : GC_I64_MIN;
}
GC_FN long long gc_to_i64(double x) {
  return (x >= -9223372036854775808.0 && x < 9223372036854775808.0) ? (long long)x : GC_I64_MIN;
}

// ----------------------------------------------------------------------------- float16
#ifdef __CUDACC__
GC_FN float gc_half_to_float(unsigned short h) {
  float f;
  asm("cvt.f32.f16 %0, %1;" : "=f"(f) : "h"(h));
  return f;
}
GC_FN unsigned short gc_float_to_half(float x) {
  unsigned short h;
  asm("cvt.rn.f16.f32 %0, %1;" : "=h"(h) : "f"(x));
  return h;
}
GC_FN unsigned short gc_double_to_half(double x) {
  unsigned short h;
  asm("cvt.rn.f16.f64 %0, %1;" : "=h"(h) : "d"(x));
  return h;
}
#else
GC_FN float gc_half_to_float(unsigned short h) { _Float16 v; memcpy(&v, &h, 2); return (float)v; }
GC_FN unsigned short gc_float_to_half(float x) {
  _Float16 v = (_Float16)x;
  unsigned short h;
  memcpy(&h, &v, 2);
  return h;
}
GC_FN unsigned short gc_double_to_half(double x) {
  _Float16 v = (_Float16)x;
  unsigned short h;
  memcpy(&h, &v, 2);
  return h;
}
#endif
// A float16 result: `x` rounded to the nearest half, kept as a float.
GC_FN float gc_half(float x) { return gc_half_to_float(gc_float_to_half(x)); }
GC_FN float gc_half(double x) { return gc_half_to_float(gc_double_to_half(x)); }

// ---------------------------------------------------------------------------- bfloat16
// bfloat16 values live in float registers, rounded to bfloat16 (to nearest, ties to even; a
// NaN stays a quiet NaN) after every operation that makes one, as PyTorch's CPU loops and
// ml_dtypes' NumPy loops do; in memory they are the upper 16 bits of a float32. Bit
// operations (what __float2bfloat16_rn computes): NVRTC ships no cuda_bf16.h, and the host
// compiler runs the same code in graphc's tests.
struct gc_bf16 { unsigned short bits; };
GC_FN unsigned short gc_bf16_bits(float x) {
  unsigned int u;
  memcpy(&u, &x, 4);
  if (x != x) return (unsigned short)((u | 0x00400000u) >> 16);
  return (unsigned short)((u + 0x7fffu + ((u >> 16) & 1u)) >> 16);
}
GC_FN float gc_bf16_to_float(gc_bf16 h) {
  const unsigned int u = (unsigned int)h.bits << 16;
  float f;
  memcpy(&f, &u, 4);
  return f;
}
GC_FN gc_bf16 gc_float_to_bf16(float x) {
  gc_bf16 h;
  h.bits = gc_bf16_bits(x);
  return h;
}
// A bfloat16 result: `x` rounded to the nearest bfloat16, kept as a float (a double rounds
// to float first, as PyTorch's conversion does).
GC_FN float gc_bf16_round(float x) {
  const unsigned int u = (unsigned int)gc_bf16_bits(x) << 16;
  float f;
  memcpy(&f, &u, 4);
  return f;
}
GC_FN float gc_bf16_round(double x) { return gc_bf16_round((float)x); }

// ------------------------------------------------------------------------ warp shuffles
#ifdef __CUDACC__
// The value held by the lane `d` away (xor), in a warp whose 32 lanes all take part.
template <typename T> __device__ __forceinline__ T gc_shfl_xor(T v, int d) {
  return __shfl_xor_sync(0xffffffffu, v, d);
}
template <> __device__ __forceinline__ bool gc_shfl_xor<bool>(bool v, int d) {
  return __shfl_xor_sync(0xffffffffu, (int)v, d) != 0;
}
// The small integers travel as ints.
template <> __device__ __forceinline__ signed char gc_shfl_xor<signed char>(signed char v, int d) {
  return (signed char)__shfl_xor_sync(0xffffffffu, (int)v, d);
}
template <> __device__ __forceinline__ unsigned char gc_shfl_xor<unsigned char>(unsigned char v, int d) {
  return (unsigned char)__shfl_xor_sync(0xffffffffu, (int)v, d);
}
template <> __device__ __forceinline__ short gc_shfl_xor<short>(short v, int d) {
  return (short)__shfl_xor_sync(0xffffffffu, (int)v, d);
}
#endif

// --------------------------------------------------------------------- vector accesses
// `N` consecutive elements, loaded or stored as one access where the address is aligned.
template <typename T, int N> struct alignas(sizeof(T) * N) GcVec { T v[N]; };
