/* A stand-in for libcuda.so.1 (the NVIDIA driver API) for tests on machines without a GPU.
 *
 * Built as a shared library with SONAME libcuda.so.1, it is what cuda-bindings loads: the
 * bindings dlsym cuGetProcAddress_v2 and ask it for every entry point by name. One device
 * (compute capability 9.0, 132 SMs) whose memory is host memory: allocations are 256-byte
 * aligned mallocs kept in a table (copies, memsets and cuPointerGetAttribute check pointers
 * against it), copies are memcpy, everything is synchronous. Contexts, streams, events and
 * pools are dummy handles that calls check. cuModuleLoadData keeps the image, which must be a
 * CUBIN for sm_90; functions and globals are looked up in its symbol table, as the driver does,
 * so a launch of a kernel the module lacks fails. Kernels do not run (but for the strided copy
 * and fill of support.cuh): cuLaunchKernel checks the block against the kernel's launch bounds
 * and shared memory, and logs the launch for the tests (fake_launch_*); fake_param_sizes reads
 * the kernel's parameter sizes from the CUBIN. fake_fail makes the next call of an entry point
 * return an error; fake_set_status writes every module's gc_status.
 */
#define _GNU_SOURCE  /* posix_memalign, RTLD_DEFAULT */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef int CUresult;
typedef unsigned long long CUdeviceptr;
enum { OK = 0, INVALID_VALUE = 1, OUT_OF_MEMORY = 2, NOT_INITIALIZED = 3, INVALID_IMAGE = 200,
       INVALID_CONTEXT = 201, NO_BINARY_FOR_GPU = 209, INVALID_HANDLE = 400, NOT_FOUND = 500 };

/* ------------------------------------------------------------------ errors and failures */
static const struct { int code; const char *name; } NAMES[] = {
    {0, "CUDA_SUCCESS"}, {1, "CUDA_ERROR_INVALID_VALUE"}, {2, "CUDA_ERROR_OUT_OF_MEMORY"},
    {3, "CUDA_ERROR_NOT_INITIALIZED"}, {100, "CUDA_ERROR_NO_DEVICE"}, {101, "CUDA_ERROR_INVALID_DEVICE"},
    {200, "CUDA_ERROR_INVALID_IMAGE"}, {201, "CUDA_ERROR_INVALID_CONTEXT"}, {209, "CUDA_ERROR_NO_BINARY_FOR_GPU"},
    {400, "CUDA_ERROR_INVALID_HANDLE"}, {500, "CUDA_ERROR_NOT_FOUND"}, {700, "CUDA_ERROR_ILLEGAL_ADDRESS"},
    {701, "CUDA_ERROR_LAUNCH_OUT_OF_RESOURCES"}, {999, "CUDA_ERROR_UNKNOWN"}};

CUresult cuGetErrorName(CUresult error, const char **out) {
    for (size_t i = 0; i < sizeof NAMES / sizeof *NAMES; i++)
        if (NAMES[i].code == error) { *out = NAMES[i].name; return OK; }
    *out = NULL;
    return INVALID_VALUE;
}

CUresult cuGetErrorString(CUresult error, const char **out) { return cuGetErrorName(error, out); }

static char fail_name[64];
static int fail_code;
static char problem[256];  /* the first misuse seen (also returned as an error), for the tests */

void fake_fail(const char *name, int code) {  /* the next call of `name` returns `code` */
    strncpy(fail_name, name, sizeof fail_name - 1);
    fail_code = code;
}

const char *fake_problem(void) { return problem; }

static int misuse(const char *what, int code) {
    if (!problem[0]) strncpy(problem, what, sizeof problem - 1);
    return code;
}

#define ENTER(name) do { if (fail_code && !strcmp(fail_name, name)) { int c = fail_code; \
    fail_code = 0; return c; } } while (0)

/* --------------------------------------------------------------------- device, context */
static int initialised;
static int context = 0x1C0;  /* the primary context's handle is its address */
static __thread void *current;

#define NEED_CONTEXT(name) do { ENTER(name); if (!initialised) return NOT_INITIALIZED; \
    if (current != &context) return misuse(name ": no current context", INVALID_CONTEXT); } while (0)

CUresult cuInit(unsigned flags) {
    ENTER("cuInit");
    if (flags) return INVALID_VALUE;
    initialised = 1;
    return OK;
}
CUresult cuDriverGetVersion(int *version) { *version = 13000; return OK; }
CUresult cuDeviceGetCount(int *count) { ENTER("cuDeviceGetCount"); *count = 1; return initialised ? OK : NOT_INITIALIZED; }

CUresult cuDeviceGet(int *device, int ordinal) {
    ENTER("cuDeviceGet");
    if (ordinal != 0) return 101;
    *device = 0;
    return OK;
}

CUresult cuDeviceGetName(char *name, int length, int device) {
    ENTER("cuDeviceGetName");
    if (device != 0 || length <= 0) return INVALID_VALUE;
    strncpy(name, "Fake H100 (host memory)", (size_t)length - 1);
    name[length - 1] = 0;
    return OK;
}

CUresult cuDeviceGetAttribute(int *value, int attribute, int device) {
    ENTER("cuDeviceGetAttribute");
    if (device != 0) return 101;
    switch (attribute) {
    case 75: *value = 9; return OK;    /* COMPUTE_CAPABILITY_MAJOR */
    case 76: *value = 0; return OK;    /* COMPUTE_CAPABILITY_MINOR */
    case 16: *value = 132; return OK;  /* MULTIPROCESSOR_COUNT */
    case 1: *value = 1024; return OK;  /* MAX_THREADS_PER_BLOCK */
    case 10: *value = 32; return OK;   /* WARP_SIZE */
    default: return INVALID_VALUE;
    }
}

CUresult cuDevicePrimaryCtxRetain(void **ctx, int device) {
    ENTER("cuDevicePrimaryCtxRetain");
    if (device != 0) return 101;
    *ctx = &context;
    return OK;
}

CUresult cuCtxSetCurrent(void *ctx) {
    ENTER("cuCtxSetCurrent");
    if (ctx && ctx != &context) return misuse("cuCtxSetCurrent: not a context", INVALID_CONTEXT);
    current = ctx;
    return OK;
}

CUresult cuCtxGetCurrent(void **ctx) { *ctx = current; return OK; }

/* ----------------------------------------------------- handles: streams, events, pools */
#define HANDLES 4096
static char streams[HANDLES], events[HANDLES];  /* handle = &table[i]; live if nonzero */
static int pool = 0x900L;
static uint64_t release_threshold;

static int known_stream(void *s) {  /* NULL, CU_STREAM_LEGACY (1), CU_STREAM_PER_THREAD (2), or ours */
    return (uintptr_t)s <= 2 || ((char *)s >= streams && (char *)s < streams + HANDLES && *(char *)s);
}

static void *new_handle(char *table) {
    for (int i = 0; i < HANDLES; i++)
        if (!table[i]) { table[i] = 1; return &table[i]; }
    return NULL;
}

#define STREAM(name, s) do { if (!known_stream(s)) return misuse(name ": not a stream", INVALID_HANDLE); } while (0)
#define EVENT(name, e) do { if (!((char *)(e) >= events && (char *)(e) < events + HANDLES && *(char *)(e))) \
    return misuse(name ": not an event", INVALID_HANDLE); } while (0)

CUresult cuStreamCreate(void **stream, unsigned flags) {
    NEED_CONTEXT("cuStreamCreate");
    if (flags > 1) return INVALID_VALUE;
    return (*stream = new_handle(streams)) ? OK : OUT_OF_MEMORY;
}

CUresult cuStreamDestroy_v2(void *stream) { STREAM("cuStreamDestroy", stream); if ((uintptr_t)stream > 2) *(char *)stream = 0; return OK; }
CUresult cuStreamSynchronize(void *stream) { NEED_CONTEXT("cuStreamSynchronize"); STREAM("cuStreamSynchronize", stream); return OK; }

CUresult cuEventCreate(void **event, unsigned flags) {
    NEED_CONTEXT("cuEventCreate");
    if (flags > 15) return INVALID_VALUE;
    return (*event = new_handle(events)) ? OK : OUT_OF_MEMORY;
}

CUresult cuEventRecord(void *event, void *stream) {
    NEED_CONTEXT("cuEventRecord"); EVENT("cuEventRecord", event); STREAM("cuEventRecord", stream);
    return OK;
}

CUresult cuStreamWaitEvent(void *stream, void *event, unsigned flags) {
    NEED_CONTEXT("cuStreamWaitEvent"); STREAM("cuStreamWaitEvent", stream); EVENT("cuStreamWaitEvent", event);
    return flags > 1 ? INVALID_VALUE : OK;
}

CUresult cuEventDestroy_v2(void *event) { ENTER("cuEventDestroy"); EVENT("cuEventDestroy", event); *(char *)event = 0; return OK; }

CUresult cuDeviceGetDefaultMemPool(void **out, int device) {
    ENTER("cuDeviceGetDefaultMemPool");
    if (device != 0) return 101;
    *out = &pool;
    return OK;
}

CUresult cuMemPoolSetAttribute(void *p, int attribute, void *value) {
    ENTER("cuMemPoolSetAttribute");
    if (p != &pool || !value) return misuse("cuMemPoolSetAttribute: bad pool or value", INVALID_VALUE);
    if (attribute == 4) release_threshold = *(uint64_t *)value;  /* RELEASE_THRESHOLD: a cuuint64_t */
    return OK;
}

uint64_t fake_release_threshold(void) { return release_threshold; }

/* ------------------------------------------------------------------------------- memory */
#define BLOCKS 65536
static struct { char *base; size_t size; } blocks[BLOCKS];
static int live_blocks;

static int find_block(CUdeviceptr p) {
    for (int i = 0; i < BLOCKS; i++)
        if (blocks[i].base && (char *)p >= blocks[i].base && (char *)p < blocks[i].base + blocks[i].size)
            return i;
    return -1;
}

int fake_range_ok(CUdeviceptr p, size_t n) {  /* [p, p + n) lies in one live allocation */
    int i = find_block(p);
    return i >= 0 && (char *)p + n <= blocks[i].base + blocks[i].size;
}

int fake_stream_ok(void *stream) { return known_stream(stream); }
int fake_live_allocations(void) { return live_blocks; }

#define RANGE(name, p, n) do { if ((n) != 0 && !fake_range_ok((CUdeviceptr)(p), (n))) \
    return misuse(name ": device range outside every allocation", INVALID_VALUE); } while (0)

static CUresult allocate(CUdeviceptr *out, size_t size) {
    for (int i = 0; i < BLOCKS; i++)
        if (!blocks[i].base) {
            void *p = NULL;
            if (posix_memalign(&p, 256, size ? size : 1)) return OUT_OF_MEMORY;
            memset(p, 0, size);  /* kernels do not run: what they would write reads as zeros */
            blocks[i].base = p, blocks[i].size = size;
            live_blocks++;
            *out = (CUdeviceptr)p;
            return OK;
        }
    return OUT_OF_MEMORY;
}

CUresult cuMemAllocAsync(CUdeviceptr *out, size_t size, void *stream) {
    NEED_CONTEXT("cuMemAllocAsync"); STREAM("cuMemAllocAsync", stream);
    if (!size) return INVALID_VALUE;
    return allocate(out, size);
}

CUresult cuMemFreeAsync(CUdeviceptr p, void *stream) {
    NEED_CONTEXT("cuMemFreeAsync"); STREAM("cuMemFreeAsync", stream);
    int i = find_block(p);
    if (i < 0 || (char *)p != blocks[i].base) return misuse("cuMemFreeAsync: not an allocation", INVALID_VALUE);
    free(blocks[i].base);
    blocks[i].base = NULL;
    live_blocks--;
    return OK;
}

CUresult cuMemcpyHtoDAsync_v2(CUdeviceptr dst, const void *src, size_t n, void *stream) {
    NEED_CONTEXT("cuMemcpyHtoDAsync"); STREAM("cuMemcpyHtoDAsync", stream); RANGE("cuMemcpyHtoDAsync", dst, n);
    memcpy((void *)dst, src, n);
    return OK;
}

CUresult cuMemcpyDtoHAsync_v2(void *dst, CUdeviceptr src, size_t n, void *stream) {
    NEED_CONTEXT("cuMemcpyDtoHAsync"); STREAM("cuMemcpyDtoHAsync", stream); RANGE("cuMemcpyDtoHAsync", src, n);
    memcpy(dst, (void *)src, n);
    return OK;
}

CUresult cuMemcpyDtoDAsync_v2(CUdeviceptr dst, CUdeviceptr src, size_t n, void *stream) {
    NEED_CONTEXT("cuMemcpyDtoDAsync"); STREAM("cuMemcpyDtoDAsync", stream);
    RANGE("cuMemcpyDtoDAsync", dst, n); RANGE("cuMemcpyDtoDAsync", src, n);
    memmove((void *)dst, (void *)src, n);
    return OK;
}

CUresult cuMemcpyDtoH_v2(void *dst, CUdeviceptr src, size_t n) {
    NEED_CONTEXT("cuMemcpyDtoH"); RANGE("cuMemcpyDtoH", src, n);
    memcpy(dst, (void *)src, n);
    return OK;
}

CUresult cuMemsetD32_v2(CUdeviceptr p, unsigned value, size_t n) {
    NEED_CONTEXT("cuMemsetD32"); RANGE("cuMemsetD32", p, n * 4);
    if (p % 4) return INVALID_VALUE;
    for (size_t i = 0; i < n; i++) ((unsigned *)p)[i] = value;
    return OK;
}

CUresult cuPointerGetAttribute(void *data, int attribute, CUdeviceptr p) {
    ENTER("cuPointerGetAttribute");
    if (attribute != 9) return INVALID_VALUE;  /* only CU_POINTER_ATTRIBUTE_DEVICE_ORDINAL */
    if (find_block(p) < 0) return INVALID_VALUE;  /* as for host memory the driver does not know */
    *(int *)data = 0;
    return OK;
}

/* ------------------------------------------------------------------------------ modules */
typedef struct { unsigned char *image; size_t size; CUdeviceptr status; } Module;
typedef struct { Module *module; char name[128]; } Function;
#define MODULES 256
static Module modules[MODULES];
static int module_count;

static uint64_t u64(const unsigned char *p) { uint64_t v; memcpy(&v, p, 8); return v; }
static uint32_t u32(const unsigned char *p) { uint32_t v; memcpy(&v, p, 4); return v; }
static uint16_t u16(const unsigned char *p) { uint16_t v; memcpy(&v, p, 2); return v; }

/* The ELF's size (cuModuleLoadData is given no length): the end of its furthest part. */
static size_t elf_size(const unsigned char *e) {
    size_t end = 64, shoff = u64(e + 40), shent = u16(e + 58), shnum = u16(e + 60);
    size_t phend = u64(e + 32) + (size_t)u16(e + 54) * u16(e + 56);
    if (phend > end) end = phend;
    if (shoff + shent * shnum > end) end = shoff + shent * shnum;
    for (size_t i = 0; i < shnum; i++) {
        const unsigned char *s = e + shoff + i * shent;
        if (u32(s + 4) != 8 && u64(s + 24) + u64(s + 32) > end) end = u64(s + 24) + u64(s + 32);  /* not NOBITS */
    }
    return end;
}

/* The symbol `name` of ELF type `type` (2 function, 1 object) in the image's symbol table. */
static const unsigned char *symbol(const Module *m, const char *name, int type) {
    const unsigned char *e = m->image;
    size_t shoff = u64(e + 40), shent = u16(e + 58), shnum = u16(e + 60);
    for (size_t i = 0; i < shnum; i++) {
        const unsigned char *s = e + shoff + i * shent;
        if (u32(s + 4) != 2) continue;  /* SHT_SYMTAB */
        const unsigned char *strings = e + u64(e + shoff + u32(s + 40) * shent + 24);
        for (size_t k = 0; k * 24 < u64(s + 32); k++) {
            const unsigned char *sym = e + u64(s + 24) + k * 24;
            if ((sym[4] & 15) == type && !strcmp((const char *)strings + u32(sym), name)) return sym;
        }
    }
    return NULL;
}

/* The contents of section `prefix``name` (.nv.info.k0_add, .nv.shared.k0_add), or NULL. */
static const unsigned char *section(const Module *m, const char *prefix, const char *name, size_t *size) {
    const unsigned char *e = m->image;
    size_t shoff = u64(e + 40), shent = u16(e + 58), shnum = u16(e + 60), n = strlen(prefix);
    const char *names = (const char *)e + u64(e + shoff + u16(e + 62) * shent + 24);
    for (size_t i = 0; i < shnum; i++) {
        const unsigned char *s = e + shoff + i * shent;
        const char *found = names + u32(s);
        if (!strncmp(found, prefix, n) && !strcmp(found + n, name)) {
            *size = u64(s + 32);
            return e + u64(s + 24);
        }
    }
    return NULL;
}

CUresult cuModuleLoadData(void **module, const void *image) {
    NEED_CONTEXT("cuModuleLoadData");
    const unsigned char *e = image;
    if (!e || memcmp(e, "\x7f" "ELF", 4) || e[4] != 2) return misuse("cuModuleLoadData: not a 64-bit ELF", INVALID_IMAGE);
    if (u16(e + 18) != 190) return misuse("cuModuleLoadData: not a CUDA ELF", INVALID_IMAGE);  /* EM_CUDA */
    if (((u32(e + 48) >> 8) & 0xff) != 90) return NO_BINARY_FOR_GPU;  /* e_flags: SASS for sm_90 only */
    if (module_count == MODULES) return OUT_OF_MEMORY;
    Module *m = &modules[module_count];
    m->size = elf_size(e);
    m->image = malloc(m->size);
    memcpy(m->image, e, m->size);
    const unsigned char *status = symbol(m, "gc_status", 1);
    if (status && allocate(&m->status, u64(status + 16) ? u64(status + 16) : 4)) return OUT_OF_MEMORY;
    if (status) memset((void *)m->status, 0, u64(status + 16));  /* __device__ globals start zeroed */
    module_count++;
    *module = m;
    return OK;
}

static int known_module(void *m) { return (Module *)m >= modules && (Module *)m < modules + module_count; }

CUresult cuModuleGetFunction(void **function, void *module, const char *name) {
    NEED_CONTEXT("cuModuleGetFunction");
    if (!known_module(module)) return misuse("cuModuleGetFunction: not a module", INVALID_HANDLE);
    if (!symbol(module, name, 2) || strlen(name) >= 128) return NOT_FOUND;
    Function *f = calloc(1, sizeof *f);
    f->module = module;
    strcpy(f->name, name);
    *function = f;
    return OK;
}

CUresult cuModuleGetGlobal_v2(CUdeviceptr *pointer, size_t *size, void *module, const char *name) {
    NEED_CONTEXT("cuModuleGetGlobal");
    if (!known_module(module)) return misuse("cuModuleGetGlobal: not a module", INVALID_HANDLE);
    Module *m = module;
    const unsigned char *sym = symbol(m, name, 1);
    if (!sym || strcmp(name, "gc_status")) return NOT_FOUND;  /* only gc_status has memory here */
    if (pointer) *pointer = m->status;
    if (size) *size = u64(sym + 16);
    return OK;
}

void fake_set_status(unsigned value) {  /* what a kernel's gc_raise would do, in every module */
    for (int i = 0; i < module_count; i++)
        if (modules[i].status) *(unsigned *)modules[i].status = value;
}

unsigned fake_status(int module) { return module < module_count && modules[module].status ? *(unsigned *)modules[module].status : 0; }
int fake_module_count(void) { return module_count; }

/* The byte sizes of `function`'s parameters, as ptxas recorded them in the CUBIN (the
 * EIATTR_KPARAM_INFO attributes of section .nv.info.<name>: ordinal, offset, size in bits
 * 18-31 of the flags): how many it wrote, or -1 without that section. */
const char *fake_function_name(void *function) { return ((Function *)function)->name; }

int fake_param_sizes(void *function, int *sizes, int max) {
    const Function *f = function;
    size_t size;
    const unsigned char *a = section(f->module, ".nv.info.", f->name, &size), *end = a + size;
    int count = 0;
    if (!a) return -1;
    while (a < end) {  /* attributes: format, id, then (format 4) a u16 length and payload */
        if (a[0] == 4 && a[1] == 0x17 && u16(a + 2) >= 12) {
            int ordinal = u16(a + 8), bytes = (int)((u32(a + 12) >> 18) & 0x3fff);
            if (ordinal < max) sizes[ordinal] = bytes;
            if (ordinal + 1 > count) count = ordinal + 1;
        }
        a += a[0] == 4 ? 4u + u16(a + 2) : a[0] == 1 ? 2u : 4u;
    }
    return count;
}

/* The most threads a block of `f` may have: its launch bounds (EIATTR_MAX_THREADS), or 1024. */
static unsigned max_threads(const Function *f) {
    size_t size;
    const unsigned char *a = section(f->module, ".nv.info.", f->name, &size), *end = a + size;
    for (; a && a < end; a += a[0] == 4 ? 4u + u16(a + 2) : a[0] == 1 ? 2u : 4u)
        if (a[0] == 4 && a[1] == 0x05 && u16(a + 2) >= 12) return u32(a + 4) * u32(a + 8) * u32(a + 12);
    return 1024;
}

/* ------------------------------------------------------------------------------ launches */
typedef struct { char name[128]; unsigned grid[3], block[3], shared; void *stream; } Launch;
#define LAUNCHES 100000
static Launch launches[LAUNCHES];
static int launch_count;

int fake_launch_count(void) { return launch_count; }
const Launch *fake_launch(int i) { return i >= 0 && i < launch_count ? &launches[i] : NULL; }
void fake_reset(void) { launch_count = 0; problem[0] = 0; fail_code = 0; }

/* The two support kernels that only move data (support.cuh's gc_copy_<size>, gc_fill_<size>)
 * are run here, element by element as on the GPU, so values that only move (copies of views,
 * operands cuBLAS needs in C order) can be checked; every element must be device memory. */
static CUresult run_support(const char *name, void **params) {
    int size = atoi(strrchr(name, '_') + 1);
    char *dst = *(char **)params[0];
    if (!strncmp(name, "gc_fill_", 8)) {
        long long n = *(long long *)params[2];
        RANGE("gc_fill", dst, (size_t)n * size);
        for (long long i = 0; i < n; i++) memcpy(dst + i * size, params[1], size);
        return OK;
    }
    const long long *to = params[1], *from = params[3], *sizes = params[4];
    const char *src = *(char **)params[2];
    int rank = *(int *)params[5];
    long long n = *(long long *)params[6];
    for (long long i = 0; i < n; i++) {
        long long q = i, t = 0, f = 0;
        for (int d = rank - 1; d >= 0; d--) {
            long long c = q % sizes[d];
            q /= sizes[d];
            t += c * to[d], f += c * from[d];
        }
        RANGE("gc_copy", dst + t * size, (size_t)size);
        RANGE("gc_copy", src + f * size, (size_t)size);
        memcpy(dst + t * size, src + f * size, size);
    }
    return OK;
}

CUresult cuLaunchKernel(void *function, unsigned gx, unsigned gy, unsigned gz, unsigned bx, unsigned by,
                        unsigned bz, unsigned shared, void *stream, void **params, void **extra) {
    NEED_CONTEXT("cuLaunchKernel"); STREAM("cuLaunchKernel", stream);
    Function *f = function;
    if (!f || !known_module(f->module)) return misuse("cuLaunchKernel: not a function", INVALID_HANDLE);
    if (!gx || !gy || !gz || !bx || !by || !bz || gx > 2147483647u || gy > 65535 || gz > 65535)
        return misuse("cuLaunchKernel: empty or oversized grid", INVALID_VALUE);
    size_t static_shared = 0;  /* a NOBITS section: its size, not its contents */
    if (!section(f->module, ".nv.shared.", f->name, &static_shared)) static_shared = 0;
    if ((unsigned long long)bx * by * bz > max_threads(f))
        return misuse("cuLaunchKernel: more threads per block than the kernel's launch bounds", INVALID_VALUE);
    if (static_shared + shared > 48 * 1024)
        return misuse("cuLaunchKernel: more than 48 KiB of shared memory", INVALID_VALUE);
    if (!params || extra) return misuse("cuLaunchKernel: kernelParams NULL (or extra given)", INVALID_VALUE);
    if (launch_count == LAUNCHES) return OUT_OF_MEMORY;
    Launch *l = &launches[launch_count++];
    strcpy(l->name, f->name);
    l->grid[0] = gx, l->grid[1] = gy, l->grid[2] = gz, l->block[0] = bx, l->block[1] = by, l->block[2] = bz;
    l->shared = shared, l->stream = stream;
    if (!strncmp(f->name, "gc_copy_", 8) || !strncmp(f->name, "gc_fill_", 8)) return run_support(f->name, params);
    return OK;
}

/* NVRTC (in the same process) dlopens libcuda.so.1 and asks it for private export tables
 * (calling this unchecked if it is missing): there are none here. */
CUresult cuGetExportTable(const void **table, const void *id) {
    (void)id;
    *table = NULL;
    return NOT_FOUND;
}

/* ---------------------------------------------------------- the loader: cuGetProcAddress */
static const struct { const char *name; void *fn; } TABLE[] = {
#define E(n) {#n, (void *)n}
#define V(n, f) {#n, (void *)f}  /* asked for by base name, served by the versioned (_v2) entry */
    E(cuGetErrorName), E(cuGetErrorString), E(cuInit), E(cuDriverGetVersion), E(cuDeviceGetCount),
    E(cuDeviceGet), E(cuDeviceGetName), E(cuDeviceGetAttribute), E(cuDevicePrimaryCtxRetain),
    E(cuCtxSetCurrent), E(cuCtxGetCurrent), E(cuStreamCreate), V(cuStreamDestroy, cuStreamDestroy_v2),
    E(cuStreamSynchronize), E(cuEventCreate), E(cuEventRecord), E(cuStreamWaitEvent),
    V(cuEventDestroy, cuEventDestroy_v2), E(cuDeviceGetDefaultMemPool), E(cuMemPoolSetAttribute),
    E(cuMemAllocAsync), E(cuMemFreeAsync), V(cuMemcpyHtoDAsync, cuMemcpyHtoDAsync_v2),
    V(cuMemcpyDtoHAsync, cuMemcpyDtoHAsync_v2), V(cuMemcpyDtoDAsync, cuMemcpyDtoDAsync_v2),
    V(cuMemcpyDtoH, cuMemcpyDtoH_v2), V(cuMemsetD32, cuMemsetD32_v2), E(cuPointerGetAttribute),
    E(cuModuleLoadData), E(cuModuleGetFunction), V(cuModuleGetGlobal, cuModuleGetGlobal_v2),
    E(cuLaunchKernel),
};

/* What cuda-bindings calls for every entry point (with the CUDA version whose ABI it wants; the
 * versions above are those of CUDA 12/13). Unknown names: CUDA_ERROR_NOT_FOUND and NULL, as
 * the driver answers, so the bindings raise only if such a function is called. */
CUresult cuGetProcAddress_v2(const char *symbol_name, void **fn, int version, uint64_t flags, int *status) {
    (void)version, (void)flags;
    for (size_t i = 0; i < sizeof TABLE / sizeof *TABLE; i++)
        if (!strcmp(TABLE[i].name, symbol_name)) {
            *fn = TABLE[i].fn;
            if (status) *status = 0;  /* CU_GET_PROC_ADDRESS_SUCCESS */
            return OK;
        }
    *fn = NULL;
    if (status) *status = 1;  /* CU_GET_PROC_ADDRESS_SYMBOL_NOT_FOUND */
    return NOT_FOUND;
}
