// Limits every stage shares: they bound what an attacker-written line can cost anywhere in the pipeline.

/**
 * Longest line the engine passes on (characters). Longer lines are cut here, before any regex sees
 * them, and counted: a 1 MB line from an attacker costs a copy, never a regex run over 1 MB.
 */
export const MAX_LINE_LENGTH = 16 * 1024;
