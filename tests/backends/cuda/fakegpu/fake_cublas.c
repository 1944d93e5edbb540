/* A stand-in for libcublas (the five functions graphc's ctypes binding calls, backends/cuda/
 * cublas.py) for tests without a GPU, with cuBLAS's real semantics on the fake driver's host
 * memory: column-major strided batched GEMM, C = alpha op(A) op(B) + beta C per batch, alpha
 * and beta read through host pointers (CUBLAS_POINTER_MODE_HOST), float and double, and the Ex
 * form for float16 and bfloat16 with float arithmetic. Arguments are checked as cuBLAS does
 * (CUBLAS_STATUS_INVALID_VALUE), and every operand's extent must lie inside one allocation of
 * the fake driver (fake_range_ok), so a wrong leading dimension or batch stride fails here.
 */
#define _GNU_SOURCE  /* posix_memalign, RTLD_DEFAULT */
#include <dlfcn.h>
#include <stdint.h>
#include <string.h>

enum { OK = 0, NOT_INITIALIZED = 1, INVALID_VALUE = 7, NOT_SUPPORTED = 15 };
enum { OP_N = 0, OP_T = 1, R_16F = 2, R_16BF = 14, COMPUTE_32F = 68 };

typedef struct { int live; void *stream; } Handle;
static Handle handles[16];

int cublasCreate_v2(void **handle) {
    for (int i = 0; i < 16; i++)
        if (!handles[i].live) { handles[i].live = 1; *handle = &handles[i]; return OK; }
    return 3;  /* CUBLAS_STATUS_ALLOC_FAILED */
}

static int known(void *h) { return (char *)h >= (char *)handles && (char *)h < (char *)(handles + 16); }

int cublasSetStream_v2(void *handle, void *stream) {
    int (*stream_ok)(void *) = (int (*)(void *))dlsym(RTLD_DEFAULT, "fake_stream_ok");
    if (!known(handle)) return NOT_INITIALIZED;
    if (!stream_ok || !stream_ok(stream)) return INVALID_VALUE;
    ((Handle *)handle)->stream = stream;
    return OK;
}

void *fake_cublas_stream(void *handle) { return known(handle) ? ((Handle *)handle)->stream : NULL; }

static float half_to_float(uint16_t h) {
    uint32_t sign = (uint32_t)(h >> 15) << 31, exponent = (h >> 10) & 31, mantissa = h & 1023, bits;
    if (exponent == 31) bits = sign | 0x7f800000u | mantissa << 13;           /* inf, nan */
    else if (exponent) bits = sign | (exponent + 112) << 23 | mantissa << 13;  /* normal */
    else if (!mantissa) bits = sign;                                           /* zero */
    else {                                                                     /* subnormal */
        int shift = 0;
        while (!(mantissa & 1024)) mantissa <<= 1, shift++;
        bits = sign | (uint32_t)(113 - shift) << 23 | (mantissa & 1023) << 13;
    }
    float f;
    memcpy(&f, &bits, 4);
    return f;
}

static uint16_t float_to_half(float f) {  /* round to nearest even */
    uint32_t bits;
    memcpy(&bits, &f, 4);
    uint16_t sign = (bits >> 16) & 0x8000;
    int exponent = (int)((bits >> 23) & 255) - 112;
    uint32_t mantissa = bits & 0x7fffff;
    if (((bits >> 23) & 255) == 255) return sign | 0x7c00 | (mantissa ? 0x200 : 0);
    if (exponent >= 31) return sign | 0x7c00;
    if (exponent <= 0) {  /* subnormal or zero */
        if (exponent < -10) return sign;
        mantissa |= 0x800000;
        int shift = 14 - exponent;
        uint32_t half = mantissa >> shift, rest = mantissa & ((1u << shift) - 1), mid = 1u << (shift - 1);
        return sign | (half + (rest > mid || (rest == mid && (half & 1))));
    }
    uint32_t half = (uint32_t)exponent << 10 | mantissa >> 13, rest = mantissa & 0x1fff;
    return sign | (half + (rest > 0x1000 || (rest == 0x1000 && (half & 1))));  /* may carry into inf */
}

static float bf16_to_float(uint16_t h) { uint32_t bits = (uint32_t)h << 16; float f; memcpy(&f, &bits, 4); return f; }

static uint16_t float_to_bf16(float f) {
    uint32_t bits;
    memcpy(&bits, &f, 4);
    if ((bits & 0x7fffffff) > 0x7f800000) return (bits >> 16) | 0x40;
    return (bits + 0x7fff + ((bits >> 16) & 1)) >> 16;
}

typedef double (*Load)(const void *, long long);
typedef void (*Store)(void *, long long, double);
static double load_f(const void *p, long long i) { return ((const float *)p)[i]; }
static double load_d(const void *p, long long i) { return ((const double *)p)[i]; }
static double load_h(const void *p, long long i) { return half_to_float(((const uint16_t *)p)[i]); }
static double load_b(const void *p, long long i) { return bf16_to_float(((const uint16_t *)p)[i]); }
static void store_f(void *p, long long i, double v) { ((float *)p)[i] = (float)v; }
static void store_d(void *p, long long i, double v) { ((double *)p)[i] = v; }
static void store_h(void *p, long long i, double v) { ((uint16_t *)p)[i] = float_to_half((float)v); }
static void store_b(void *p, long long i, double v) { ((uint16_t *)p)[i] = float_to_bf16((float)v); }

/* [p, p + the elements a (rows x cols, leading dimension ld) batch reads) is device memory. */
static int inside(const void *p, int rows, int cols, int ld, long long stride, int batch, int size) {
    int (*range_ok)(unsigned long long, size_t) =
        (int (*)(unsigned long long, size_t))dlsym(RTLD_DEFAULT, "fake_range_ok");
    long long last = (long long)(batch - 1) * stride + (long long)(cols - 1) * ld + rows;
    return range_ok && stride >= 0 && range_ok((unsigned long long)(uintptr_t)p, (size_t)last * size);
}

static int gemm(void *handle, int ta, int tb, int m, int n, int k, double alpha, const void *a, int lda,
                long long sa, const void *b, int ldb, long long sb, double beta, void *c, int ldc,
                long long sc, int batch, Load load, Store store, int size, int single) {
    if (!known(handle)) return NOT_INITIALIZED;
    if ((ta != OP_N && ta != OP_T) || (tb != OP_N && tb != OP_T) || m < 0 || n < 0 || k < 0 || batch < 0)
        return INVALID_VALUE;
    int a_rows = ta == OP_N ? m : k, a_cols = ta == OP_N ? k : m;
    int b_rows = tb == OP_N ? k : n, b_cols = tb == OP_N ? n : k;
    if (lda < (a_rows > 1 ? a_rows : 1) || ldb < (b_rows > 1 ? b_rows : 1) || ldc < (m > 1 ? m : 1))
        return INVALID_VALUE;
    if (!m || !n || !batch) return OK;
    if ((k && (!inside(a, a_rows, a_cols, lda, sa, batch, size) || !inside(b, b_rows, b_cols, ldb, sb, batch, size)))
        || !inside(c, m, n, ldc, sc, batch, size))
        return INVALID_VALUE;
    for (int p = 0; p < batch; p++)
        for (int j = 0; j < n; j++)
            for (int i = 0; i < m; i++) {
                double sum = 0;
                for (int l = 0; l < k; l++) {
                    double x = load(a, p * sa + (ta == OP_N ? i + (long long)l * lda : l + (long long)i * lda));
                    double y = load(b, p * sb + (tb == OP_N ? l + (long long)j * ldb : j + (long long)l * ldb));
                    sum = single ? (double)((float)sum + (float)x * (float)y) : sum + x * y;
                }
                long long at = p * sc + i + (long long)j * ldc;
                double value = alpha * sum + (beta != 0 ? beta * load(c, at) : 0);  /* beta 0: C is not read */
                store(c, at, single ? (double)(float)value : value);
            }
    return OK;
}

int cublasSgemmStridedBatched(void *handle, int ta, int tb, int m, int n, int k, const float *alpha,
                              const float *a, int lda, long long sa, const float *b, int ldb, long long sb,
                              const float *beta, float *c, int ldc, long long sc, int batch) {
    return gemm(handle, ta, tb, m, n, k, *alpha, a, lda, sa, b, ldb, sb, *beta, c, ldc, sc, batch,
                load_f, store_f, 4, 1);
}

int cublasDgemmStridedBatched(void *handle, int ta, int tb, int m, int n, int k, const double *alpha,
                              const double *a, int lda, long long sa, const double *b, int ldb, long long sb,
                              const double *beta, double *c, int ldc, long long sc, int batch) {
    return gemm(handle, ta, tb, m, n, k, *alpha, a, lda, sa, b, ldb, sb, *beta, c, ldc, sc, batch,
                load_d, store_d, 8, 0);
}

int cublasGemmStridedBatchedEx(void *handle, int ta, int tb, int m, int n, int k, const void *alpha,
                               const void *a, int atype, int lda, long long sa, const void *b, int btype,
                               int ldb, long long sb, const void *beta, void *c, int ctype, int ldc,
                               long long sc, int batch, int compute, int algo) {
    if (atype != btype || atype != ctype || (atype != R_16F && atype != R_16BF) || compute != COMPUTE_32F
        || (algo != -1 && algo != 99))
        return NOT_SUPPORTED;
    int half = atype == R_16F;  /* alpha and beta are floats, as the compute type says */
    return gemm(handle, ta, tb, m, n, k, *(const float *)alpha, a, lda, sa, b, ldb, sb, *(const float *)beta,
                c, ldc, sc, batch, half ? load_h : load_b, half ? store_h : store_b, 2, 1);
}
