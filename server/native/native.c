/*
 * The server's Node-API addon: what the process needs from the C library and Node cannot do from JavaScript.
 * - trim() hands the C allocator's free memory back to the OS (glibc's malloc_trim(0)) and returns whether any was;
 *   undefined where the C library is not glibc.
 * - tuneAllocator(bytes) fixes glibc's trim and mmap thresholds at `bytes` (mallopt M_TRIM_THRESHOLD and
 *   M_MMAP_THRESHOLD), sets its top pad to 0 (M_TOP_PAD) and returns whether it could (undefined off glibc).
 * - exec(file, argv, env) replaces the process with a new program (execve): same pid, the standard streams and
 *   every descriptor not marked close-on-exec. Returns only by throwing.
 * - glibc: whether the C library is glibc (the allocator tunables above and in server/vm/allocator-tunables.ts
 *   are glibc's).
 * - dupDescriptor(fd) returns a new descriptor for the same open connection (close-on-exec, like every descriptor
 *   Node opens).
 *
 * Why trim (server/vm/release-memory.ts, docs/architecture.md "Under load"): each VM runs in a worker thread, and
 * glibc gives each thread a malloc arena of its own. When a VM's worker ends, its isolate frees its memory into that
 * arena, but glibc keeps the free pages (an arena's heap shrinks only from its top, and only on a large free);
 * measured: 16 ended workers left 63 MB in arenas with 5 MB in use. Only malloc_trim releases free pages inside an
 * arena, and Node has no way to call it from JavaScript.
 *
 * Why tuneAllocator (server/vm/release-memory.ts): malloc_trim releases the free pages inside an arena, but not the
 * free top of a thread's arena; glibc trims that only on a free when it exceeds the trim threshold, which it raises
 * (up to 64 MiB) each time a large mmapped block is freed. Fixed thresholds keep the ended workers' arena tops small,
 * and without a top pad a trim leaves no 128 KiB of touched pages at each arena's top (measured: 0.9 MiB over 15
 * arenas after 16 VMs).
 *
 * Why exec (server/vm/allocator-tunables.ts): the thread caches of glibc's malloc can only be turned off through the
 * environment the process starts with (GLIBC_TUNABLES), so `serve` starts itself again once with it set.
 *
 * Why dupDescriptor (server/channel/socket-handoff.ts, docs/architecture.md "The handoff"): a channel connection
 * accepted by the main thread is handed to its VM's worker as a descriptor. With a duplicate for the worker, the
 * main thread can close its own socket, libuv handle and all, the ordinary way: otherwise that handle has to stay
 * behind forever, since closing it would close the worker's descriptor.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <node_api.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

static napi_value trim(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value result;
#ifdef __GLIBC__
  if (napi_get_boolean(env, malloc_trim(0) != 0, &result) != napi_ok) return NULL;
#else
  if (napi_get_undefined(env, &result) != napi_ok) return NULL;
#endif
  return result;
}

/* The call's first argument as an int32 of at least `least`, or a TypeError thrown with `usage` (returns 0 then). */
static int int32_argument(napi_env env, napi_callback_info info, int32_t least, const char *usage, int32_t *value) {
  size_t argc = 1;
  napi_value argv[1];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return 0;
  if (argc < 1 || napi_get_value_int32(env, argv[0], value) != napi_ok || *value < least) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", usage);
    return 0;
  }
  return 1;
}

static napi_value tune_allocator(napi_env env, napi_callback_info info) {
  int32_t bytes;
  if (!int32_argument(env, info, 1, "tuneAllocator takes a size in bytes (an integer > 0)", &bytes)) return NULL;
  napi_value result;
#ifdef __GLIBC__
  int ok = mallopt(M_TRIM_THRESHOLD, bytes) == 1 && mallopt(M_MMAP_THRESHOLD, bytes) == 1 && mallopt(M_TOP_PAD, 0) == 1;
  if (napi_get_boolean(env, ok, &result) != napi_ok) return NULL;
#else
  if (napi_get_undefined(env, &result) != napi_ok) return NULL;
#endif
  return result;
}

static napi_value dup_descriptor(napi_env env, napi_callback_info info) {
  int32_t fd;
  if (!int32_argument(env, info, 0, "dupDescriptor takes a descriptor (an integer >= 0)", &fd)) return NULL;
  int copy = fcntl(fd, F_DUPFD_CLOEXEC, 3);
  if (copy < 0) {
    napi_throw_error(env, "ERR_DUP_DESCRIPTOR", strerror(errno));
    return NULL;
  }
  napi_value result;
  if (napi_create_int32(env, copy, &result) != napi_ok) return NULL;
  return result;
}

/* A JavaScript array of strings as a NULL-terminated C array (malloc'd, freed by free_strings); NULL after throwing. */
static char **string_array(napi_env env, napi_value array, const char *usage) {
  uint32_t n;
  bool is_array;
  if (napi_is_array(env, array, &is_array) != napi_ok || !is_array || napi_get_array_length(env, array, &n) != napi_ok) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", usage);
    return NULL;
  }
  char **out = calloc((size_t)n + 1, sizeof(char *));
  if (out == NULL) return NULL;
  for (uint32_t i = 0; i < n; i++) {
    napi_value item;
    size_t length;
    if (napi_get_element(env, array, i, &item) != napi_ok ||
        napi_get_value_string_utf8(env, item, NULL, 0, &length) != napi_ok ||
        (out[i] = malloc(length + 1)) == NULL ||
        napi_get_value_string_utf8(env, item, out[i], length + 1, &length) != napi_ok) {
      for (uint32_t j = 0; j <= i; j++) free(out[j]);
      free(out);
      napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", usage);
      return NULL;
    }
  }
  return out;
}

static void free_strings(char **strings) {
  if (strings == NULL) return;
  for (char **s = strings; *s != NULL; s++) free(*s);
  free(strings);
}

static napi_value exec(napi_env env, napi_callback_info info) {
  static const char usage[] = "exec takes a file, its arguments and its environment (strings)";
  size_t argc = 3;
  napi_value args[3];
  if (napi_get_cb_info(env, info, &argc, args, NULL, NULL) != napi_ok) return NULL;
  char file[4096];
  size_t length;
  if (argc < 3 || napi_get_value_string_utf8(env, args[0], file, sizeof file, &length) != napi_ok || length + 1 >= sizeof file) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", usage);
    return NULL;
  }
  char **argv = string_array(env, args[1], usage);
  if (argv == NULL) return NULL;
  char **envp = string_array(env, args[2], usage);
  if (envp == NULL) {
    free_strings(argv);
    return NULL;
  }
  /* Node opens the standard streams close-on-exec; the new program must keep them. */
  int stdio_flags[3];
  for (int fd = 0; fd < 3; fd++) {
    stdio_flags[fd] = fcntl(fd, F_GETFD);
    if (stdio_flags[fd] >= 0) fcntl(fd, F_SETFD, stdio_flags[fd] & ~FD_CLOEXEC);
  }
  execve(file, argv, envp);
  int failure = errno;
  for (int fd = 0; fd < 3; fd++) {
    if (stdio_flags[fd] >= 0) fcntl(fd, F_SETFD, stdio_flags[fd]);
  }
  free_strings(argv);
  free_strings(envp);
  napi_throw_error(env, "ERR_EXEC", strerror(failure));
  return NULL;
}

NAPI_MODULE_INIT() {
  napi_value fn;
  if (napi_create_function(env, "trim", NAPI_AUTO_LENGTH, trim, NULL, &fn) != napi_ok) return NULL;
  if (napi_set_named_property(env, exports, "trim", fn) != napi_ok) return NULL;
  if (napi_create_function(env, "tuneAllocator", NAPI_AUTO_LENGTH, tune_allocator, NULL, &fn) != napi_ok) return NULL;
  if (napi_set_named_property(env, exports, "tuneAllocator", fn) != napi_ok) return NULL;
  if (napi_create_function(env, "dupDescriptor", NAPI_AUTO_LENGTH, dup_descriptor, NULL, &fn) != napi_ok) return NULL;
  if (napi_set_named_property(env, exports, "dupDescriptor", fn) != napi_ok) return NULL;
  if (napi_create_function(env, "exec", NAPI_AUTO_LENGTH, exec, NULL, &fn) != napi_ok) return NULL;
  if (napi_set_named_property(env, exports, "exec", fn) != napi_ok) return NULL;
  napi_value glibc;
#ifdef __GLIBC__
  if (napi_get_boolean(env, true, &glibc) != napi_ok) return NULL;
#else
  if (napi_get_boolean(env, false, &glibc) != napi_ok) return NULL;
#endif
  if (napi_set_named_property(env, exports, "glibc", glibc) != napi_ok) return NULL;
  return exports;
}
