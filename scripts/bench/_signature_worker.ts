/** The Web Worker of the bench's signature pool: checks each chunk it is sent (`_signature_checks.ts`). */
import { type CheckChunk, checkChunk } from "./_signature_checks.ts";

const scope = self as unknown as {
  onmessage: ((event: MessageEvent<CheckChunk>) => void) | null;
  postMessage(message: unknown, transfer: Transferable[]): void;
};

scope.onmessage = (event) => {
  const verdicts = checkChunk(event.data);
  scope.postMessage({ id: event.data.id, verdicts }, [verdicts.buffer as ArrayBuffer]);
};
