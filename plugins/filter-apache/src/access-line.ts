/**
 * Pieces of an Apache access log line in the `common`/`combined` formats
 * (`%h %l %u %t "%r" %>s %b "%{Referer}i" "%{User-Agent}i"`), optionally preceded by `%v:%p `
 * (`vhost_combined`). The client (`%h`) is the first field, written by Apache; the request, referer and
 * user agent are the client's text, which Apache escapes (`"` → `\"`, `\` → `\\`), so a quoted field is
 * parsed exactly by {@link QUOTED} and cannot end early. The engine removes the date
 * (`[10/Oct/2000:13:55:36 -0700]`) and leaves the blanks around it; a date still in the message (an access
 * log sent through syslog) is accepted too.
 */

/**
 * `%h %l %u %t ` up to the opening quote of the request (the client as `<HOST>`). One to three fields
 * between the client and the date (`- -`, `- user`, and the `- - -` some formats write); Apache writes an
 * empty user name (`Authorization: Basic Og==`) as `""`.
 */
export const ACCESS_START = '^(?:[\\w.-]+:\\d{1,5} )?<HOST> (?:[^\\s"]+ |"" ){1,3}(?:\\[[^\\]]{1,40}\\])? "';

/** The contents of a quoted, Apache-escaped field, without its quotes. */
export const QUOTED = '(?:[^"\\\\]|\\\\.)*';

/** From the closing quote of the request to the opening quote of the user agent (`combined`). */
export const STATUS_TO_AGENT = `" \\d{3} (?:\\d+|-) "${QUOTED}" "`;
