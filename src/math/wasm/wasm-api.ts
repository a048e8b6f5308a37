/**
 * The few WebAssembly JS-API members this backend uses, typed locally: the project's `lib` (ES2022) has no
 * WebAssembly declarations and Node's types do not add them.
 */
export interface WasmMemory {
  readonly buffer: SharedArrayBuffer;
  grow(deltaPages: number): number;
}
/** A compiled module (opaque; postable to worker threads). */
export type WasmModule = { readonly __wasmModule: unique symbol };
interface WasmInstance {
  readonly exports: Record<string, unknown>;
}
interface WasmApi {
  validate(bytes: Uint8Array): boolean;
  compile(bytes: Uint8Array): Promise<WasmModule>;
  instantiate(module: WasmModule, imports: object): Promise<WasmInstance>;
  Memory: new (desc: { initial: number; maximum: number; shared: true }) => WasmMemory;
}

export const wasmApi = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;
