/**
 * The seccomp filter of `exec`: a classic BPF program that bubblewrap installs (`--seccomp 0`,
 * read from the command's stdin) before it starts the command. It refuses
 *
 * - the system calls that hold memory outside any process's address space, where the
 *   per-process limit (RLIMIT_AS, and so the sandbox's total, processes x address space) cannot
 *   see it: `memfd_create` (a memory file stays alive through a descriptor after it is
 *   unmapped), `memfd_secret` (the same, for secret memory), `shmget` (System V shared memory
 *   stays alive in the sandbox's IPC namespace after it is detached, and that namespace's
 *   limits are the kernel's unbounded defaults);
 * - the ones that reach into another process of the same uid, so that nothing can trace or
 *   write exec's first process (_exec_init.ts): `ptrace`, `process_vm_readv`,
 *   `process_vm_writev`, `pidfd_getfd`. Debuggers and strace do not work in the sandbox.
 *
 * Everything else is allowed. System calls of another architecture (32-bit code on a 64-bit
 * kernel, x32 on x86_64), which number calls differently, are refused as a whole.
 *
 * @module
 */

/** How the kernel names each architecture in `seccomp_data.arch`, and what it refuses there. */
const ARCHES = {
  x86_64: {
    audit: 0xc000003e,
    // memfd_create, shmget, memfd_secret; ptrace, process_vm_readv, _writev, pidfd_getfd
    refused: [319, 29, 447, 101, 310, 311, 438],
    x32Bit: 0x40000000,
  },
  aarch64: { audit: 0xc00000b7, refused: [279, 194, 447, 117, 270, 271, 438], x32Bit: null },
} as const;

const LOAD_WORD = 0x20; // BPF_LD | BPF_W | BPF_ABS
const JUMP_EQUAL = 0x15; // BPF_JMP | BPF_JEQ | BPF_K
const JUMP_AT_LEAST = 0x35; // BPF_JMP | BPF_JGE | BPF_K
const RETURN = 0x06; // BPF_RET | BPF_K
const ALLOW = 0x7fff0000; // SECCOMP_RET_ALLOW
const REFUSE = 0x00050000 | 1; // SECCOMP_RET_ERRNO with EPERM
const ARCH_OFFSET = 4; // offsetof(struct seccomp_data, arch)
const NUMBER_OFFSET = 0; // offsetof(struct seccomp_data, nr)

type Instruction = readonly [code: number, jumpTrue: number, jumpFalse: number, k: number];

/**
 * The filter for `arch` as the bytes of `struct sock_filter[]` (8 bytes each, little-endian, as
 * both architectures are), or null for an architecture this build does not know.
 *
 * @example
 * ```ts
 * import { seccompFilter } from "./_seccomp.ts";
 * const program = seccompFilter("x86_64");
 * program?.length; // a multiple of 8
 * ```
 */
export function seccompFilter(arch: string): Uint8Array | null {
  const known = ARCHES[arch as keyof typeof ARCHES];
  if (known === undefined) return null;
  const program: Instruction[] = [[LOAD_WORD, 0, 0, ARCH_OFFSET], [JUMP_EQUAL, 0, 0, known.audit]];
  program.push([LOAD_WORD, 0, 0, NUMBER_OFFSET]);
  if (known.x32Bit !== null) program.push([JUMP_AT_LEAST, 0, 0, known.x32Bit]);
  for (const number of known.refused) program.push([JUMP_EQUAL, 0, 0, number]);
  program.push([RETURN, 0, 0, ALLOW], [RETURN, 0, 0, REFUSE]);
  // Jumps are relative to the next instruction: a foreign architecture (the arch test failing)
  // and a refused call (a number test passing) go to the last one, REFUSE.
  const refuseAt = program.length - 1;
  const aimed = program.map(([code, , , k], at): Instruction => {
    const toRefuse = refuseAt - at - 1;
    if (at === 1) return [code, 0, toRefuse, k];
    return code === RETURN || code === LOAD_WORD ? [code, 0, 0, k] : [code, toRefuse, 0, k];
  });
  const bytes = new Uint8Array(aimed.length * 8);
  const view = new DataView(bytes.buffer);
  aimed.forEach(([code, jumpTrue, jumpFalse, k], at) => {
    view.setUint16(at * 8, code, true);
    view.setUint8(at * 8 + 2, jumpTrue);
    view.setUint8(at * 8 + 3, jumpFalse);
    view.setUint32(at * 8 + 4, k, true);
  });
  return bytes;
}
