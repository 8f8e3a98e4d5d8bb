// Limits every stage shares: they bound what an attacker-written line can cost anywhere in the pipeline.

/**
 * Longest line the engine passes on (characters). Longer lines are cut here, before any regex sees
 * them, and counted: a 1 MB line from an attacker costs a copy, never a regex run over 1 MB.
 */
export const MAX_LINE_LENGTH = 16 * 1024;

/**
 * Most lines handed on at once (a source's sink call, a batch the runtime parses before the jails see it).
 * A read of 64 KiB holds ~700 lines: were their objects built for the whole read, a young-generation GC
 * in the middle of it would find every one alive, and V8 would then allocate the objects of that code
 * straight in the old generation ("pretenuring"), where each dead one keeps its line text alive until the
 * next full GC — tens of MB of peak RSS under a flood. A slice this small is a fraction of what is
 * allocated between two young GCs, so its objects die young.
 */
export const LINE_SLICE = 128;
