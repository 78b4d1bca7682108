/** A model server that answers, for doctor tests about something else than the model. */
import { type FakeOpenAI, startFakeOpenAI } from "../../../fakes/openai_server.ts";

/** A fake OpenAI server that answers every call, with vectors of the default dimension. */
export async function answeringLlm(): Promise<FakeOpenAI & { env: Record<string, string> }> {
  const llm = await startFakeOpenAI({ fallback: "echo", embeddingDimension: 1536 });
  return Object.assign(llm, { env: { OPENAI_API_KEY: "sk-x", OPENAI_BASE_URL: llm.url } });
}
