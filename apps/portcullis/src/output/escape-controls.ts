/** C0 controls (with TAB, LF, CR and ESC), DEL and the C1 controls (0x9b is a one-byte CSI on some terminals). */
const CONTROLS = /[\x00-\x1f\x7f-\x9f]/g;

/**
 * Text for a terminal or a log line, with every control character written as `\xNN`. Log lines, user
 * names, host names and file names are written by attackers: printed raw, `ESC ] 0 ; … BEL` retitles the
 * terminal, `ESC [ 2 J` clears it, a CR or LF forges a line, a NUL cuts it. Every human-readable output
 * passes what it did not write itself through here (JSON output escapes them already).
 */
export function escapeControls(text: string): string {
  CONTROLS.lastIndex = 0;
  if (!CONTROLS.test(text)) return text;
  return text.replace(CONTROLS, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}
