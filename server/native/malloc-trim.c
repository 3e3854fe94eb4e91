/*
 * A Node-API addon with one function: trim() hands the C allocator's free memory back to the OS (glibc's
 * malloc_trim(0)) and returns whether any was. Where the C library is not glibc, trim() returns undefined.
 *
 * Why (server/vm/release-memory.ts, docs/architecture.md "Under load"): each VM runs in a worker thread, and glibc
 * gives each thread a malloc arena of its own. When a VM's worker ends, its isolate frees its memory into that arena,
 * but glibc keeps the free pages (an arena's heap shrinks only from its top, and only on a large free); measured:
 * 16 ended workers left 63 MB in arenas with 5 MB in use. Only malloc_trim releases free pages inside an arena, and
 * Node has no way to call it from JavaScript.
 */
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

NAPI_MODULE_INIT() {
  napi_value fn;
  if (napi_create_function(env, "trim", NAPI_AUTO_LENGTH, trim, NULL, &fn) != napi_ok) return NULL;
  if (napi_set_named_property(env, exports, "trim", fn) != napi_ok) return NULL;
  return exports;
}
