/** Run by sqlite_vec_test.ts without --allow-ffi: memory must still work, by keywords. */
import { Memory, openWithVectors } from "../../../../core/memory/mod.ts";

const { timeline, vectors } = openWithVectors(":memory:");
const memory = new Memory(timeline, { vectors });
await memory.remember("the spare key is under the blue pot", { taint: "trusted" });
const result = await memory.search("spare key");
console.log(JSON.stringify({ ...vectors, mode: result.mode, hits: result.hits.length }));
timeline.close();
