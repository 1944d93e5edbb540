// graphc's CUDA support kernels: the work outside fused kernels (docs/cuda.md).
//
// Strided copies (views made contiguous, cat, pad, outputs that are views), fills (pad),
// argmax/argmin, and the integer matmul cuBLAS does not do. One module for every graph,
// compiled once per device architecture. It follows prelude.cuh in the source.

#define GC_MAX_RANK 8
#define GC_GRID_START ((long long)blockIdx.x * blockDim.x + threadIdx.x)
#define GC_GRID_STEP ((long long)gridDim.x * blockDim.x)

// Sizes or element strides of up to GC_MAX_RANK dimensions, passed by value.
struct GcDims { long long v[GC_MAX_RANK]; };

// dst[coordinates] = src[coordinates] over `rank` dimensions of `sizes`; the strides of
// either side may be anything (0 to broadcast, negative to flip).
template <typename T>
__device__ __forceinline__ void gc_copy(T* dst, GcDims dst_strides, const T* src, GcDims src_strides,
                                        GcDims sizes, int rank, long long n) {
  for (long long i = GC_GRID_START; i < n; i += GC_GRID_STEP) {
    long long q = i, to = 0, from = 0;
    for (int d = rank - 1; d >= 0; --d) {
      const long long c = q % sizes.v[d];
      q /= sizes.v[d];
      to += c * dst_strides.v[d];
      from += c * src_strides.v[d];
    }
    dst[to] = src[from];
  }
}

template <typename T>
__device__ __forceinline__ void gc_fill(T* dst, T value, long long n) {
  for (long long i = GC_GRID_START; i < n; i += GC_GRID_STEP) dst[i] = value;
}

#define GC_BY_SIZE(SIZE, T)                                                                       \
  extern "C" __global__ void gc_copy_##SIZE(T* dst, GcDims dst_strides, const T* src,            \
                                            GcDims src_strides, GcDims sizes, int rank,          \
                                            long long n) {                                       \
    gc_copy<T>(dst, dst_strides, src, src_strides, sizes, rank, n);                              \
  }                                                                                              \
  extern "C" __global__ void gc_fill_##SIZE(T* dst, T value, long long n) {                      \
    gc_fill<T>(dst, value, n);                                                                   \
  }
GC_BY_SIZE(1, unsigned char)
GC_BY_SIZE(2, unsigned short)
GC_BY_SIZE(4, unsigned int)
GC_BY_SIZE(8, unsigned long long)

// An element as argmax/argmin compares it: bools as ints, float16 as float.
template <typename M, typename T> __device__ __forceinline__ T gc_arg_value(M x) { return (T)x; }
template <> __device__ __forceinline__ float gc_arg_value<unsigned short, float>(unsigned short x) {
  return gc_half_to_float(x);
}
template <> __device__ __forceinline__ float gc_arg_value<gc_bf16, float>(gc_bf16 x) {
  return gc_bf16_to_float(x);
}

// Whether (value, index) comes before (best, best_index) for argmax (MAX) or argmin: a NaN
// before any number, then the larger (smaller) value, then the first index, as NumPy.
// best_index < 0 means no element yet.
template <typename T, bool MAX>
__device__ __forceinline__ bool gc_arg_better(T value, long long index, T best, long long best_index) {
  if (index < 0) return false;
  if (best_index < 0) return true;
  const bool value_nan = value != value, best_nan = best != best;
  if (best_nan) return value_nan && index < best_index;
  if (value_nan) return true;
  if (MAX ? value > best : value < best) return true;
  return value == best && index < best_index;
}

// out[o, i] = the index along the middle axis of x[o, :, i] of its largest (smallest)
// element; x is contiguous [outer, count, inner] and count > 0. One warp per output.
template <typename M, typename T, bool MAX>
__device__ __forceinline__ void gc_argreduce(long long* out, const M* x, long long outer,
                                             long long count, long long inner) {
  const int lane = threadIdx.x % 32;
  const long long warps = GC_GRID_STEP / 32;
  for (long long w = GC_GRID_START / 32; w < outer * inner; w += warps) {
    const long long o = w / inner, in = w % inner;
    T best = T();
    long long best_index = -1;
    for (long long r = lane; r < count; r += 32) {
      const T value = gc_arg_value<M, T>(x[(o * count + r) * inner + in]);
      if (gc_arg_better<T, MAX>(value, r, best, best_index)) { best = value; best_index = r; }
    }
    #pragma unroll
    for (int d = 16; d > 0; d >>= 1) {
      const T other = gc_shfl_xor(best, d);
      const long long other_index = gc_shfl_xor(best_index, d);
      if (gc_arg_better<T, MAX>(other, other_index, best, best_index)) { best = other; best_index = other_index; }
    }
    if (lane == 0) out[w] = best_index;
  }
}

#define GC_ARGREDUCE(NAME, M, T)                                                                 \
  extern "C" __global__ void gc_argmax_##NAME(long long* out, const M* x, long long outer,       \
                                              long long count, long long inner) {                \
    gc_argreduce<M, T, true>(out, x, outer, count, inner);                                       \
  }                                                                                              \
  extern "C" __global__ void gc_argmin_##NAME(long long* out, const M* x, long long outer,       \
                                              long long count, long long inner) {                \
    gc_argreduce<M, T, false>(out, x, outer, count, inner);                                      \
  }
GC_ARGREDUCE(bool, bool, int)
GC_ARGREDUCE(uint8, unsigned char, int)
GC_ARGREDUCE(int8, signed char, int)
GC_ARGREDUCE(int16, short, int)
GC_ARGREDUCE(int32, int, int)
GC_ARGREDUCE(int64, long long, long long)
GC_ARGREDUCE(float16, unsigned short, float)
GC_ARGREDUCE(bfloat16, gc_bf16, float)
GC_ARGREDUCE(float32, float, float)
GC_ARGREDUCE(float64, double, double)

// c[batch, m, n] = a[batch, m, k] @ b[batch, k, n] for the integer and bool dtypes, which
// cuBLAS does not multiply: one thread per element of c, wrapping around as NumPy's. a and b
// are C-ordered matrices, `a_batch` and `b_batch` elements apart (0: one matrix for all).
__device__ __forceinline__ bool gc_matmul_step(bool acc, bool x, bool y) { return acc || (x && y); }
__device__ __forceinline__ int gc_matmul_step(int acc, int x, int y) { return gc_add(acc, gc_mul(x, y)); }
__device__ __forceinline__ long long gc_matmul_step(long long acc, long long x, long long y) {
  return gc_add(acc, gc_mul(x, y));
}
// The small integers in int, wrapping when converted back.
template <typename T> __device__ __forceinline__ T gc_small_matmul_step(T acc, T x, T y) {
  return (T)gc_add((int)acc, gc_mul((int)x, (int)y));
}
__device__ __forceinline__ unsigned char gc_matmul_step(unsigned char acc, unsigned char x, unsigned char y) {
  return gc_small_matmul_step(acc, x, y);
}
__device__ __forceinline__ signed char gc_matmul_step(signed char acc, signed char x, signed char y) {
  return gc_small_matmul_step(acc, x, y);
}
__device__ __forceinline__ short gc_matmul_step(short acc, short x, short y) { return gc_small_matmul_step(acc, x, y); }

template <typename T>
__device__ __forceinline__ void gc_imatmul(T* c, const T* a, const T* b, long long batch, long long m,
                                           long long n, long long k, long long a_batch,
                                           long long b_batch) {
  for (long long i = GC_GRID_START; i < batch * m * n; i += GC_GRID_STEP) {
    const long long z = i / (m * n), row = i / n % m, col = i % n;
    const T* left = a + z * a_batch + row * k;
    const T* right = b + z * b_batch + col;
    T acc = 0;
    for (long long p = 0; p < k; ++p) acc = gc_matmul_step(acc, left[p], right[p * n]);
    c[i] = acc;
  }
}

#define GC_IMATMUL(NAME, T)                                                                      \
  extern "C" __global__ void gc_matmul_##NAME(T* c, const T* a, const T* b, long long batch,     \
                                              long long m, long long n, long long k,             \
                                              long long a_batch, long long b_batch) {            \
    gc_imatmul<T>(c, a, b, batch, m, n, k, a_batch, b_batch);                                    \
  }
GC_IMATMUL(bool, bool)
GC_IMATMUL(uint8, unsigned char)
GC_IMATMUL(int8, signed char)
GC_IMATMUL(int16, short)
GC_IMATMUL(int32, int)
GC_IMATMUL(int64, long long)

// ------------------------------------------------------------------------------- indexing
// gather, scatter and argsort (graphc/indexing.py). An index outside its dimension sets
// GC_INDEX_OUT_OF_RANGE in gc_status, which the launcher turns into NumPy's IndexError.
#define GC_INDEX_OUT_OF_RANGE 2u

// An index of a dimension of `size` counted from 0, or -1 (and the error raised) outside it.
template <typename I>
__device__ __forceinline__ long long gc_wrapped_index(I k, long long size) {
  const long long v = (long long)k;
  if (v < -size || v >= size) { gc_raise(GC_INDEX_OUT_OF_RANGE); return -1; }
  return v < 0 ? v + size : v;
}

// out[c] = x[c with c[dim] replaced by index[c]], for every coordinate c of index's `sizes`
// (out is contiguous in that shape; x and index have element strides).
template <typename T, typename I>
__device__ __forceinline__ void gc_gather(T* out, const T* x, GcDims x_strides, const I* index,
                                          GcDims index_strides, GcDims sizes, int rank, int dim,
                                          long long dim_size, long long n) {
  for (long long i = GC_GRID_START; i < n; i += GC_GRID_STEP) {
    long long q = i, from = 0, at = 0;
    for (int d = rank - 1; d >= 0; --d) {
      const long long c = q % sizes.v[d];
      q /= sizes.v[d];
      at += c * index_strides.v[d];
      if (d != dim) from += c * x_strides.v[d];
    }
    const long long k = gc_wrapped_index(index[at], dim_size);
    out[i] = k < 0 ? T() : x[from + k * x_strides.v[dim]];
  }
}

// One element of scatter: written (the last write wins) or added.
__device__ __forceinline__ int gc_scatter_sum(int acc, int value) { return gc_add(acc, value); }
__device__ __forceinline__ long long gc_scatter_sum(long long acc, long long value) { return gc_add(acc, value); }
__device__ __forceinline__ float gc_scatter_sum(float acc, float value) { return acc + value; }
__device__ __forceinline__ double gc_scatter_sum(double acc, double value) { return acc + value; }
__device__ __forceinline__ unsigned short gc_scatter_sum(unsigned short acc, unsigned short value) {
  return gc_float_to_half(gc_half_to_float(acc) + gc_half_to_float(value));
}
struct GcScatterSet {
  template <typename T> static __device__ __forceinline__ T apply(T acc, T value) { return value; }
};
struct GcScatterAdd {
  template <typename T> static __device__ __forceinline__ T apply(T acc, T value) {
    return gc_scatter_sum(acc, value);
  }
};

// out (contiguous, holding the base) gets src written or added where index points along
// `dim`: one thread per element of out walks the index column that may point at it, in
// order, so repeated indices resolve as NumPy's (last write wins, sums in order).
template <typename T, typename I, typename Op>
__device__ __forceinline__ void gc_scatter(T* out, GcDims out_sizes, const I* index,
                                           GcDims index_strides, const T* src, GcDims src_strides,
                                           GcDims index_sizes, int rank, int dim, long long n) {
  for (long long i = GC_GRID_START; i < n; i += GC_GRID_STEP) {
    long long q = i, at = 0, from = 0, target = 0;
    bool covered = true;
    for (int d = rank - 1; d >= 0; --d) {
      const long long c = q % out_sizes.v[d];
      q /= out_sizes.v[d];
      if (d == dim) { target = c; continue; }
      covered = covered && c < index_sizes.v[d];
      at += c * index_strides.v[d];
      from += c * src_strides.v[d];
    }
    if (!covered) continue;
    T acc = out[i];
    for (long long k = 0; k < index_sizes.v[dim]; ++k) {
      if (gc_wrapped_index(index[at + k * index_strides.v[dim]], out_sizes.v[dim]) != target) continue;
      const T value = src[from + k * src_strides.v[dim]];
      acc = Op::apply(acc, value);
    }
    out[i] = acc;
  }
}

// Whether element (a, ia) comes before (b, ib) in a stable sort: NaN is the largest value,
// equal elements keep their order (also when descending).
template <typename T, bool DESCENDING>
__device__ __forceinline__ bool gc_sorts_before(T a, long long ia, T b, long long ib) {
  const bool a_nan = a != a, b_nan = b != b;
  if (a_nan || b_nan) {
    if (a_nan && b_nan) return ia < ib;
    return DESCENDING ? a_nan : b_nan;
  }
  if (a == b) return ia < ib;
  return DESCENDING ? a > b : a < b;
}

// out[o, rank, i] = r for each element x[o, r, i] (contiguous [outer, count, inner]), where
// rank counts the elements of its row that sort before it: one thread per element.
template <typename M, typename T, bool DESCENDING>
__device__ __forceinline__ void gc_argsort(long long* out, const M* x, long long outer,
                                           long long count, long long inner) {
  for (long long w = GC_GRID_START; w < outer * count * inner; w += GC_GRID_STEP) {
    const long long o = w / (count * inner), r = w / inner % count, in = w % inner;
    const M* row = x + o * count * inner + in;
    const T value = gc_arg_value<M, T>(row[r * inner]);
    long long rank = 0;
    for (long long s = 0; s < count; ++s)
      rank += gc_sorts_before<T, DESCENDING>(gc_arg_value<M, T>(row[s * inner]), s, value, r);
    out[(o * count + rank) * inner + in] = r;
  }
}

#define GC_GATHER_SCATTER(SIZE, T, ISIZE, I)                                                     \
  extern "C" __global__ void gc_gather_##SIZE##_##ISIZE(T* out, const T* x, GcDims x_strides,    \
                                                        const I* index, GcDims index_strides,    \
                                                        GcDims sizes, int rank, int dim,         \
                                                        long long dim_size, long long n) {       \
    gc_gather<T, I>(out, x, x_strides, index, index_strides, sizes, rank, dim, dim_size, n);     \
  }                                                                                              \
  extern "C" __global__ void gc_scatter_##SIZE##_##ISIZE(T* out, GcDims out_sizes, const I* index,\
                                                         GcDims index_strides, const T* src,     \
                                                         GcDims src_strides, GcDims index_sizes, \
                                                         int rank, int dim, long long n) {       \
    gc_scatter<T, I, GcScatterSet>(out, out_sizes, index, index_strides, src, src_strides, index_sizes, \
                            rank, dim, n);                                                       \
  }
GC_GATHER_SCATTER(1, unsigned char, 4, int)
GC_GATHER_SCATTER(1, unsigned char, 8, long long)
GC_GATHER_SCATTER(2, unsigned short, 4, int)
GC_GATHER_SCATTER(2, unsigned short, 8, long long)
GC_GATHER_SCATTER(4, unsigned int, 4, int)
GC_GATHER_SCATTER(4, unsigned int, 8, long long)
GC_GATHER_SCATTER(8, unsigned long long, 4, int)
GC_GATHER_SCATTER(8, unsigned long long, 8, long long)

#define GC_SCATTER_ADD(NAME, T, ISIZE, I)                                                        \
  extern "C" __global__ void gc_scatter_add_##NAME##_##ISIZE(                                    \
      T* out, GcDims out_sizes, const I* index, GcDims index_strides, const T* src,              \
      GcDims src_strides, GcDims index_sizes, int rank, int dim, long long n) {                  \
    gc_scatter<T, I, GcScatterAdd>(out, out_sizes, index, index_strides, src, src_strides, index_sizes,  \
                           rank, dim, n);                                                        \
  }
GC_SCATTER_ADD(int32, int, 4, int)
GC_SCATTER_ADD(int32, int, 8, long long)
GC_SCATTER_ADD(int64, long long, 4, int)
GC_SCATTER_ADD(int64, long long, 8, long long)
GC_SCATTER_ADD(float16, unsigned short, 4, int)
GC_SCATTER_ADD(float16, unsigned short, 8, long long)
GC_SCATTER_ADD(float32, float, 4, int)
GC_SCATTER_ADD(float32, float, 8, long long)
GC_SCATTER_ADD(float64, double, 4, int)
GC_SCATTER_ADD(float64, double, 8, long long)

#define GC_ARGSORT(NAME, M, T)                                                                   \
  extern "C" __global__ void gc_argsort_##NAME(long long* out, const M* x, long long outer,      \
                                               long long count, long long inner) {               \
    gc_argsort<M, T, false>(out, x, outer, count, inner);                                        \
  }                                                                                              \
  extern "C" __global__ void gc_argsort_descending_##NAME(long long* out, const M* x,            \
                                                          long long outer, long long count,      \
                                                          long long inner) {                     \
    gc_argsort<M, T, true>(out, x, outer, count, inner);                                         \
  }
GC_ARGSORT(bool, bool, int)
GC_ARGSORT(int32, int, int)
GC_ARGSORT(int64, long long, long long)
GC_ARGSORT(float16, unsigned short, float)
GC_ARGSORT(float32, float, float)
GC_ARGSORT(float64, double, double)

// out[o, :, i] = the running sums (products) of x[o, :, i], in order, as NumPy's cumsum
// (cumprod): x and out are contiguous [outer, count, inner]. One thread per line; an integer
// wraps around as NumPy's, a float16 is computed in float and rounded at each step, as NumPy.
template <typename T> __device__ __forceinline__ T gc_scan_step(T acc, T x, bool product) {
  return product ? gc_mul(acc, x) : gc_add(acc, x);
}
template <> __device__ __forceinline__ float gc_scan_step<float>(float acc, float x, bool product) {
  return product ? acc * x : acc + x;
}
template <> __device__ __forceinline__ double gc_scan_step<double>(double acc, double x, bool product) {
  return product ? acc * x : acc + x;
}
__device__ __forceinline__ unsigned short gc_scan_step(unsigned short acc, unsigned short x, bool product) {
  const float a = gc_half_to_float(acc), b = gc_half_to_float(x);
  return gc_float_to_half(product ? a * b : a + b);
}

template <typename T>
__device__ __forceinline__ void gc_scan(T* out, const T* x, long long outer, long long count,
                                        long long inner, bool product) {
  for (long long line = GC_GRID_START; line < outer * inner; line += GC_GRID_STEP) {
    const long long start = line / inner * count * inner + line % inner;
    T acc = x[start];
    out[start] = acc;
    for (long long r = 1; r < count; ++r) {
      const long long at = start + r * inner;
      acc = gc_scan_step(acc, x[at], product);
      out[at] = acc;
    }
  }
}

#define GC_SCAN(NAME, T)                                                                         \
  extern "C" __global__ void gc_cumsum_##NAME(T* out, const T* x, long long outer, long long count, \
                                              long long inner) {                                 \
    if (count > 0) gc_scan<T>(out, x, outer, count, inner, false);                               \
  }                                                                                              \
  extern "C" __global__ void gc_cumprod_##NAME(T* out, const T* x, long long outer,              \
                                               long long count, long long inner) {               \
    if (count > 0) gc_scan<T>(out, x, outer, count, inner, true);                                \
  }
GC_SCAN(int32, int)
GC_SCAN(int64, long long)
GC_SCAN(float16, unsigned short)
GC_SCAN(float32, float)
GC_SCAN(float64, double)

// ------------------------------------------------------------------------------- nonzero
// The positions of the true elements of a contiguous bool mask, in row-major order, in two
// passes over blocks of its elements: gc_nonzero_count stores each block's count; the host
// adds them up (the total is the data-dependent size that sizes the output) and gives each
// block the row its elements start at; gc_nonzero_positions writes each true element's
// coordinates at that row plus its rank in the block (from warp ballots). blockDim.x is a
// multiple of 32, one thread per element, the grid one block per blockDim.x elements.
extern "C" __global__ void gc_nonzero_count(long long* counts, const bool* mask, long long n) {
  const long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x;
  const int count = __syncthreads_count(i < n && mask[i]);
  if (threadIdx.x == 0) counts[blockIdx.x] = count;
}

extern "C" __global__ void gc_nonzero_positions(long long* out, const bool* mask,
                                                const long long* starts, GcDims sizes, int rank,
                                                long long n) {
  __shared__ int warp_counts[32];
  const long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x;
  const bool set = i < n && mask[i];
  const unsigned ballot = __ballot_sync(0xffffffffu, set);
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
  if (lane == 0) warp_counts[warp] = __popc(ballot);
  __syncthreads();
  if (!set) return;
  long long row = starts[blockIdx.x] + __popc(ballot & ((1u << lane) - 1u));
  for (int w = 0; w < warp; ++w) row += warp_counts[w];
  long long q = i;
  for (int d = rank - 1; d >= 0; --d) {
    out[row * rank + d] = q % sizes.v[d];
    q /= sizes.v[d];
  }
}
