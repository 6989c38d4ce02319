// The `cloudflare:test` module (runInDurableObject, createMessageBatch ...) as the plugin types
// it; the Workers types it refers to are absent here (see functions/cloudflare/worker-env.ts),
// so its signatures are loose and the tests cast to the structural types of worker-env.ts.
/// <reference types="@cloudflare/vitest-plugin/types" />
