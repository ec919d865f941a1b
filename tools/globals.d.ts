// Globals the pages' scripts use that no module declares: the vocabulary
// (gateway/web/words.js, generated from package words) and what the
// WebAssembly verifier (cmd/chengnuo-wasm) and Go's loader define.

/** The Chinese word of every code a record carries. */
declare const WORDS: Record<string, string>;

/** Go's WebAssembly loader (wasm_exec.js). */
declare class Go {
  importObject: WebAssembly.Imports;
  run(instance: WebAssembly.Instance): Promise<void>;
}

/** SM3 of the bytes, lowercase hex (cmd/chengnuo-wasm). */
declare function chengnuoSM3(bytes: Uint8Array): string;

/**
 * Checks a proof bundle offline: the JSON answer of proof.Verify
 * (cmd/chengnuo-wasm).
 */
declare function chengnuoVerify(bundle: string, genesisPin: string, digest: string, commitmentId: string): string;
